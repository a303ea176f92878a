"""Shared vocabulary of every stage: the quarter calendar and the landing-zone contract.

The vocabulary modules (quarters, contract, watch) are pure Python (no Dagster, no dbt), so the
simulator, the importers, the pipeline and the CLI all speak of quarters and raw records in
exactly one way. ``stateofml.platform`` builds the Dagster/dbt platform pieces on them;
``stateofml.cli`` is the command line on top of everything (README, "Architecture").
"""
