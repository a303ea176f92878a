-- Users, runs and training hours per quarter by GPU model with its family, architecture generation
-- and segment (laptop variants of a card are a segment of their own).
{{ config(**quarterly_incremental_config()) }}

{{ period_breakdown(ref('int_user_quarter_hardware'), 'quarter', ['gpu_vendor', 'gpu_model', 'gpu_family', 'gpu_generation', 'gpu_segment']) }}
