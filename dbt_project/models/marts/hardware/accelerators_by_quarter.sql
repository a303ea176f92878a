-- Users, runs and training hours per quarter by main accelerator: GPU, TPU, IPU or CPU only (which
-- includes runs whose hardware was not probed).
{{ config(**quarterly_incremental_config()) }}

{{ period_breakdown(ref('int_user_quarter_hardware'), 'quarter', ['accelerator']) }}
