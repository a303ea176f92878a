-- Users, runs and training hours per year by GPUs per run (none, 1, 2, 3-4, 5-8, 9+): single-GPU
-- set-ups have most users, clusters of 9+ a growing share of hours.
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown('year', ['gpu_count_bucket', 'gpu_count_bucket_order']) }}
