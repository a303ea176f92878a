"""Where the report's data comes from, in words, from what the landing zone records: the
simulator's record of its runs (scale, range), the importer's manifest of real run folders, and
the run files themselves (files nobody of ours wrote come from a production export)."""

from __future__ import annotations

import json
from pathlib import Path

from assets.sources.wandb_runs.importer import MANIFEST as IMPORT_MANIFEST
from stateofml.contract import SIMULATIONS_FILE

# The run files' names say who wrote them (simulator/engine.py, assets/sources/wandb_runs/importer.py).
SIMULATED_PREFIX, IMPORTED_PREFIX = "sim-", "wandb-"


def run_files_by_writer(landing: Path) -> dict[str, int]:
    counts = {"simulated": 0, "imported": 0, "production": 0}
    for path in (landing / "runs").glob("date=*/*"):
        if path.name.startswith(".") or not path.is_file():
            continue
        kind = ("simulated" if path.name.startswith(SIMULATED_PREFIX)
                else "imported" if path.name.startswith(IMPORTED_PREFIX) else "production")
        counts[kind] += 1
    return counts


def scale_text(scale: float) -> str:
    """A scale as written to the simulator: "1.0", "0.001" (never "1" nor "1e-03")."""
    text = format(float(scale), "f").rstrip("0")
    return text + "0" if text.endswith(".") else text


def describe_source(landing: Path) -> list[str]:
    """Sentences for the page: what wrote the runs, at which scale, and how much of it."""
    files = run_files_by_writer(landing)
    lines = []
    if files["simulated"]:
        sims = _read(landing / SIMULATIONS_FILE).get("simulations", [])
        scales = sorted({s["scale"] for s in sims})
        if scales:
            scale = " and ".join(scale_text(s) for s in scales)
            spans = ", ".join(f"{s['start']} to {s['end']}" for s in sims)
            lines.append(f"Simulated data: runs simulated at scale {scale} of the real service (1.0 = its full "
                         f"size, about 200,000 active users a year) by the project's simulator, for {spans}. Its "
                         "figures show how the report works, not findings about real users.")
        else:
            lines.append("Simulated data (the simulator's run files, without its record of scale): its figures "
                         "show how the report works, not findings about real users.")
    if files["imported"]:
        runs = len(_read(landing / IMPORT_MANIFEST).get("runs", {}))
        lines.append(f"Imported runs: {runs:,} real run folders written by the wandb client, imported with "
                     "`stateofml import-runs`; profiles come from the users file given to it.")
    if files["production"]:
        lines.append(f"Production landing zone: {files['production']:,} run files exported by the tracking service.")
    if not lines:
        lines.append("No run files in the landing zone.")
    if sum(1 for n in files.values() if n) > 1:
        lines.append("The sources are mixed: every figure counts them together.")
    return lines


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        return {}  # an unreadable record: the page still says which files it found
