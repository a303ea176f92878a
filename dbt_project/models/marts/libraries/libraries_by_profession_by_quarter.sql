-- Every library (modules the taxonomy does not know under their own name, category 'other') per
-- quarter and profession: the share of each profession's users (runs, hours) whose imports are
-- known that use it.
{{ config(**quarterly_incremental_config()) }}

{{ library_breakdown('quarter', by_profession=true) }}
