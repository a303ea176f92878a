-- Users, runs and training hours per year by media type logged (image, table, audio, ...; none =
-- scalars only). A run logging several types counts under each: shares (of all users, runs
-- and hours) may sum above 1.
{{ config(**yearly_incremental_config()) }}

{{ period_breakdown('year', ['media_type'], list_dimension=('media_type', 'media_types')) }}
