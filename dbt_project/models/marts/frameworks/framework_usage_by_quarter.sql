-- Active users, runs and training hours per quarter of each framework: core frameworks (PyTorch vs
-- TensorFlow), high-level frameworks (Keras vs Lightning) and boosted trees (XGBoost, LightGBM,
-- CatBoost), detected in the training code or the client's telemetry.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_report_window() }}",
) }}

{{ library_breakdown('quarter', where="category in " ~ framework_categories()) }}
