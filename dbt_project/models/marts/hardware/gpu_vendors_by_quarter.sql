-- Users, runs and training hours per quarter by GPU vendor (NVIDIA, Apple, AMD, ...; Unidentified
-- = no GPU found: CPU only, TPU / IPU, or not probed).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_window() }}",
) }}

{{ period_breakdown(ref('int_user_quarter_hardware'), 'quarter', ['gpu_vendor']) }}
