"""What analysts read while the pipeline runs: a published copy of the marts, Parquet, dbt docs."""
