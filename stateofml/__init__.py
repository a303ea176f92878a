"""Shared vocabulary of every stage: the quarter calendar and the landing-zone contract.

Pure Python (no Dagster, no dbt), so the simulator, the importers, the pipeline and the CLI
all speak of quarters and raw records in exactly one way.
"""
