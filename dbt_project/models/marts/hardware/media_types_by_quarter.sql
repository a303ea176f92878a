-- Users, runs and training hours per quarter by media type logged (image, table, audio, ...; none =
-- scalars only). A run logging several types counts under each: shares (of all users, runs
-- and hours) may sum above 1.
{{ config(**quarterly_incremental_config()) }}

{{ period_breakdown(ref('int_user_quarter_media_types'), 'quarter', ['media_type'], totals_from=ref('int_user_quarter_hardware')) }}
