"""Dagster wiring only: assembles the assets into definitions, jobs, the schedule, sensors and the automation sensor."""
