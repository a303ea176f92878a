-- Users, runs and training hours per quarter by where runs were computed: AWS, Google Cloud, Azure,
-- Colab, Kaggle or on-premises / other (a host-name heuristic: macros/hardware.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_window() }}",
) }}

{{ period_breakdown(ref('int_user_quarter_hardware'), 'quarter', ['compute_location']) }}
