"""The dbt exposures declare every chart and the marts it reads, and are generated, never stale."""

import json

from assets.charts.registry import ALL_CHARTS
from assets.charts.exposures import EXPOSURES_FILE, main
from stateofml.platform.project import dbt_project


def test_committed_exposures_are_what_the_chart_specs_generate(capsys):
    assert main([]) == 0, capsys.readouterr().err


def test_every_chart_is_an_exposure_of_the_marts_it_reads():
    manifest = json.loads(dbt_project.manifest_path.read_text())
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert exposures, f"no exposures parsed from {EXPOSURES_FILE}"
    for spec in ALL_CHARTS:
        exposure = exposures[f"chart_{spec.name}"]
        assert exposure["label"] == spec.title
        assert sorted(exposure["depends_on"]["nodes"]) == sorted(f"model.stateofml.{m}" for m in spec.marts)
        assert all(manifest["nodes"][n]["fqn"][1] == "marts" for n in exposure["depends_on"]["nodes"])
    assert len(exposures) == len(ALL_CHARTS)
