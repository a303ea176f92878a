-- Frameworks per quarter and profession (academic, corporate, personal = hobbyist, unknown): the
-- share of each profession's users (runs, hours) whose imports are known that use each framework.
{{ config(**quarterly_incremental_config()) }}

{{ library_breakdown('quarter', by_profession=true, where="category in " ~ framework_categories()) }}
