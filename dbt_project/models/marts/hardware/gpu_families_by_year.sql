-- Users, runs and training hours per year by GPU family (GeForce GTX 10, GeForce RTX 30, A100,
-- Apple M1, ...): the generations giving way to each other.
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown('year', ['gpu_vendor', 'gpu_family']) }}
