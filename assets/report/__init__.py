"""The yearly State of ML page: every chart of ``ALL_CHARTS`` and the headline, in one HTML file.

``page.py`` lays out and renders (pure functions, a Jinja template under ``templates/``);
``assets.py`` is the Dagster asset that reads the marts and writes the page.
"""
