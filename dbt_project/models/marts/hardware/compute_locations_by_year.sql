-- Users, runs and training hours per year by where runs were computed: AWS, Google Cloud, Azure,
-- Colab, Kaggle or on-premises / other (a host-name heuristic: macros/hardware.sql).
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown('year', ['compute_location']) }}
