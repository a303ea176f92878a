-- Frameworks per quarter and profession (academic, corporate, personal = hobbyist, unknown): the
-- share of each profession's users (runs, hours) whose imports are known that use each framework.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_window() }}",
) }}

{{ library_breakdown('quarter', by_profession=true, where="category in " ~ framework_categories()) }}
