-- Users, runs and training hours per quarter by GPU family (GeForce GTX 10, GeForce RTX 30, A100,
-- Apple M1, ...): the generations giving way to each other.
{{ config(**quarterly_incremental_config()) }}

{{ period_breakdown(ref('int_user_quarter_hardware'), 'quarter', ['gpu_vendor', 'gpu_family']) }}
