"""The sensor that evaluates the assets' automation conditions (stateofml/platform/automation.py)."""

from __future__ import annotations

import dagster as dg

# One sensor evaluates every condition (instead of the implicit default sensor), on by default
# like the schedule: the conditions only fire on partial updates.
automation_sensor = dg.AutomationConditionSensorDefinition(
    "state_of_ml_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Downstream models and charts follow a quarter whose inputs changed (stateofml/platform/automation.py).",
)
