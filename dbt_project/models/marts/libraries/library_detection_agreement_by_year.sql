-- How often the two detection signals agree, per year and library, among runs whose code and
-- telemetry both named imports (a method note of the report): detected by both, by the code only
-- (imported but not loaded at init/finish, or loaded in a way the client does not flag) or by the
-- telemetry only (loaded lazily or transitively: tf.keras loads keras, which the code's
-- top-level imports cannot show). Only libraries the client's telemetry can flag at all.
{{ config(**yearly_incremental_config()) }}

{{ detection_agreement() }}
