-- Wall-clock run length per quarter of each framework family (a run using torch and tensorflow
-- counts in both) and each framework library: mean, median and 90th percentile (are Torch runs
-- longer? are boosted-tree runs short?). Quantiles from the runtime histograms (within 0.5%).
{{ config(**quarterly_incremental_config()) }}

{{ run_length_stats(ref('int_quarter_run_length_histogram'), 'quarter') }}
