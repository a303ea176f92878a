-- Users, runs and training hours per quarter by main accelerator: GPU, TPU, IPU or CPU only (which
-- includes runs whose hardware was not probed).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_window() }}",
) }}

{{ period_breakdown(ref('int_user_quarter_hardware'), 'quarter', ['accelerator']) }}
