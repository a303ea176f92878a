-- Every library (modules the taxonomy does not know under their own name, category 'other') per
-- year and profession: the share of each profession's users (runs, hours) whose imports are
-- known that use it.
{{ config(**yearly_incremental_config()) }}

{{ library_breakdown('year', by_profession=true) }}
