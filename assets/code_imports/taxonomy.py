"""The module -> library -> category taxonomy seeds, and the client telemetry's import ids.

Two dbt seeds in ``dbt_project/seeds/``:

* ``libraries.csv`` (module, library, category, framework_family): hand-curated. A library may own several
  top-level modules (keras, keras_core, tf_keras -> Keras). ``framework_family`` is the one framework a
  library is built on and requires, empty when it is framework-independent or multi-backend; Keras counts
  under TensorFlow, as in the talk's Keras-versus-Lightning comparison.
* ``telemetry_imports.csv`` (import_id, module): generated from the installed wandb client's
  ``Imports`` message. Each field is named after the ``sys.modules`` key the client looks for
  (``wandb/sdk/lib/telemetry.py``), so the field name is the top-level module name.

``python -m assets.code_imports.taxonomy --write`` regenerates the telemetry seed; without ``--write`` it
only checks both seeds (also run by the unit tests).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
LIBRARIES_CSV = SEEDS / "libraries.csv"
TELEMETRY_CSV = SEEDS / "telemetry_imports.csv"

CATEGORIES = frozenset(
    {
        "core framework",
        "high-level framework",
        "framework add-on",
        "boosted trees",
        "classical ML",
        "AutoML",
        "NLP",
        "LLM",
        "LLM apps",
        "model API",
        "vision",
        "audio",
        "RL",
        "graph",
        "recommendation",
        "time series",
        "probabilistic",
        "science",
        "hyperparameter & config",
        "data",
        "model hub",
        "experiment tracking",
        "evaluation",
        "interpretability",
        "distributed",
        "model optimization",
        "MLOps & workflow",
        "vector search",
        "privacy & federated",
        "scientific computing",
        "visualization",
        "apps & demos",
        "utilities",
    }
)
FRAMEWORK_FAMILIES = frozenset({"PyTorch", "TensorFlow", "JAX", "scikit-learn", "boosted trees", ""})


def telemetry_import_fields() -> list[tuple[int, str]]:
    """(field number, module name) of every field of the installed client's telemetry ``Imports``."""
    from wandb.proto import wandb_telemetry_pb2  # heavy import, needed only to (re)generate the seed

    return sorted((field.number, field.name) for field in wandb_telemetry_pb2.Imports.DESCRIPTOR.fields)


def write_telemetry_seed(path: Path = TELEMETRY_CSV) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["import_id", "module"])
        writer.writerows(telemetry_import_fields())


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def check_seeds(libraries_csv: Path = LIBRARIES_CSV, telemetry_csv: Path = TELEMETRY_CSV) -> list[str]:
    """Problems with the two seeds; empty when they are consistent with each other and the client."""
    libraries = read_csv(libraries_csv)
    telemetry = read_csv(telemetry_csv)
    problems = _duplicates("libraries.csv module", [row["module"] for row in libraries])
    problems += _duplicates("telemetry_imports.csv module", [row["module"] for row in telemetry])
    problems += _duplicates("telemetry_imports.csv import_id", [row["import_id"] for row in telemetry])
    problems += [f"unknown category {row['category']!r} ({row['module']})" for row in libraries if row["category"] not in CATEGORIES]
    problems += [
        f"unknown framework_family {row['framework_family']!r} ({row['module']})"
        for row in libraries
        if row["framework_family"] not in FRAMEWORK_FAMILIES
    ]
    # One library, one category and family, whichever of its modules a script imports.
    by_library: dict[str, set[tuple[str, str]]] = {}
    for row in libraries:
        by_library.setdefault(row["library"], set()).add((row["category"], row["framework_family"]))
    problems += [f"library {name!r} has several categories/families {sorted(v)}" for name, v in by_library.items() if len(v) > 1]
    known_modules = {row["module"] for row in libraries}
    problems += [f"telemetry module {row['module']!r} missing from libraries.csv" for row in telemetry if row["module"] not in known_modules]
    generated = [(str(number), name) for number, name in telemetry_import_fields()]
    if [(row["import_id"], row["module"]) for row in telemetry] != generated:
        problems.append("telemetry_imports.csv differs from the installed client's Imports fields: run with --write")
    return problems


def _duplicates(what: str, values: list[str]) -> list[str]:
    return [f"duplicate {what} {value!r}" for value, count in sorted(Counter(values).items()) if count > 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="regenerate telemetry_imports.csv first")
    args = parser.parse_args(argv)
    if args.write:
        write_telemetry_seed()
    problems = check_seeds()
    for problem in problems:
        print(problem, file=sys.stderr)
    libraries = read_csv(LIBRARIES_CSV)
    print(f"{len(libraries)} modules, {len({r['library'] for r in libraries})} libraries, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
