-- Users, runs and training hours per quarter by GPUs per run (none, 1, 2, 3-4, 5-8, 9+): single-GPU
-- set-ups have most users, clusters of 9+ a growing share of hours.
{{ config(**quarterly_incremental_config()) }}

{{ period_breakdown(ref('int_user_quarter_hardware'), 'quarter', ['gpu_count_bucket', 'gpu_count_bucket_order']) }}
