-- Active users, runs and training hours per year of each framework: core frameworks (PyTorch vs
-- TensorFlow), high-level frameworks (Keras vs Lightning) and boosted trees (XGBoost, LightGBM,
-- CatBoost), detected in the training code or the client's telemetry.
{{ config(**yearly_incremental_config()) }}

{{ library_breakdown('year', where="category in " ~ framework_categories()) }}
