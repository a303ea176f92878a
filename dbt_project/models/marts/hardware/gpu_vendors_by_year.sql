-- Users, runs and training hours per year by GPU vendor (NVIDIA, Apple, AMD, ...; Unidentified
-- = no GPU found: CPU only, TPU / IPU, or not probed).
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown(ref('int_user_quarter_hardware'), 'year', ['gpu_vendor']) }}
