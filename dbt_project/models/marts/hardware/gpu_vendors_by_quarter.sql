-- Users, runs and training hours per quarter by GPU vendor (NVIDIA, Apple, AMD, ...; Unidentified
-- = no GPU found: CPU only, TPU / IPU, or not probed).
{{ config(**quarterly_incremental_config()) }}

{{ period_breakdown(ref('int_user_quarter_hardware'), 'quarter', ['gpu_vendor']) }}
