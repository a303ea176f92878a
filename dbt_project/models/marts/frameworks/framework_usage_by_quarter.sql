-- Active users, runs and training hours per quarter of each framework: core frameworks (PyTorch vs
-- TensorFlow), high-level frameworks (Keras vs Lightning) and boosted trees (XGBoost, LightGBM,
-- CatBoost), detected in the training code or the client's telemetry.
{{ config(**quarterly_incremental_config()) }}

{{ library_breakdown('quarter', where="category in " ~ framework_categories()) }}
