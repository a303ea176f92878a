-- Frameworks per year and profession (academic, corporate, personal = hobbyist, unknown): the
-- share of each profession's users (runs, hours) whose imports are known that use each framework.
{{ config(**yearly_incremental_config()) }}

{{ library_breakdown('year', by_profession=true, where="category in " ~ framework_categories()) }}
