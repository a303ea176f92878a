-- Users, runs and training hours per year by GPU vendor (NVIDIA, Apple, AMD, ...; Unidentified
-- = no GPU found: CPU only, TPU / IPU, or not probed).
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown('year', ['gpu_vendor']) }}
