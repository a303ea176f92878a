-- Users, runs and training hours per year by GPU model with its family, architecture generation
-- and segment (laptop variants of a card are a segment of their own).
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown('year', ['gpu_vendor', 'gpu_model', 'gpu_family', 'gpu_generation', 'gpu_segment']) }}
