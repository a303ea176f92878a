-- Users, runs and training hours per quarter by GPU model with its family, architecture generation
-- and segment (laptop variants of a card are a segment of their own).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_window() }}",
) }}

{{ period_breakdown(ref('int_user_quarter_hardware'), 'quarter', ['gpu_vendor', 'gpu_model', 'gpu_family', 'gpu_generation', 'gpu_segment']) }}
