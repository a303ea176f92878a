-- Runs and training hours per quarter, user and library used (either signal), with how the two
-- signals agreed: the user grain every framework and library mart counts from, quarterly and
-- yearly (a year's distinct users come from these rows, never from summing quarters).
-- Anonymous runs are kept with user_id null: they count in runs and hours, never as users.
--
-- Why this grain is persisted and the run grain is not: at full scale a quarter is ~31 M runs and
-- ~90 M run x library rows, but only ~100 k active users x ~10 libraries each, i.e. ~1 M rows here.
-- The quarterly DELETE+INSERT of ~1 M rows is cheap; the one scan of the run-grain view happens
-- once per window, and every mart (users, runs, hours, shares, growth, profession, agreement) is a
-- small aggregate of this table.
{{ config(**quarterly_incremental_config()) }}

select
    quarter_start,
    user_id,
    library,
    -- Attributes of the library: grouping by them too would only make the hash keys wider.
    any_value(category) as category,
    any_value(framework_family) as framework_family,
    any_value(is_known_library) as is_known_library,
    count(*) as runs,
    sum(training_hours) as training_hours,
    count(*) filter (where detected_in_code) as runs_detected_in_code,
    count(*) filter (where detected_in_telemetry) as runs_detected_in_telemetry,
    -- Agreement of the signals, among runs where both said something (code imports and telemetry).
    count(*) filter (where has_code_imports and has_telemetry_imports) as runs_with_both_signals,
    count(*) filter (where has_code_imports and has_telemetry_imports
                     and detected_in_code and detected_in_telemetry) as runs_agreeing,
    count(*) filter (where has_code_imports and has_telemetry_imports
                     and detected_in_code and not detected_in_telemetry) as runs_code_only,
    count(*) filter (where has_code_imports and has_telemetry_imports
                     and detected_in_telemetry and not detected_in_code) as runs_telemetry_only
from {{ ref('int_run_libraries') }}
group by quarter_start, user_id, library
