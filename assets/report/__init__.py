"""The State of ML pages (a year's, each quarter's view, the index), assembled from the chart assets' files.

``page.py`` lays out and renders (pure functions, Jinja templates under ``templates/``);
``source.py`` says where the data comes from; ``assets.py`` is the Dagster asset that writes the pages.
"""
