"""The platform pieces that assets and the wiring share: paths, resources, partitions, the dbt project, automation conditions."""
