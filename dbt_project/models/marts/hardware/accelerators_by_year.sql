-- Users, runs and training hours per year by main accelerator: GPU, TPU, IPU or CPU only (which
-- includes runs whose hardware was not probed).
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown('year', ['accelerator']) }}
