"""Importers that turn real-world activity into landing-zone files (``stateofml.contract``).

Each source lives in its own package and writes only through the contract, so the pipeline never
knows where a record came from.
"""
