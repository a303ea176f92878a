"""Where report pages live, and how a year's page is published (no heavy imports: the CLI uses it).

Each run writes a snapshot per quarter, ``<outputs>/<quarter>/report/state_of_ml_<year>.html``;
the year's page, ``<outputs>/report/state_of_ml_<year>.html``, is a copy of the snapshot of the
latest quarter of that year that has one. Re-running an earlier quarter therefore never replaces
a more complete page of its year with an older view.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from stateofml.quarters import Quarter

_QUARTER_DIR = re.compile(r"^\d{4}Q[1-4]$")


def page_name(year: int) -> str:
    return f"state_of_ml_{year}.html"


def page_path(outputs: Path, year: int) -> Path:
    """The year's page: what ``stateofml report --year`` prints."""
    return outputs / "report" / page_name(year)


def snapshot_path(outputs: Path, as_of: Quarter) -> Path:
    """The page of ``as_of``'s year as it stood at the end of ``as_of``."""
    return outputs / as_of.compact / "report" / page_name(as_of.year)


def latest_snapshot(outputs: Path, year: int) -> Path | None:
    quarters = sorted(
        Quarter.parse(d.name)
        for d in outputs.glob(f"{year}Q?")
        if _QUARTER_DIR.match(d.name) and snapshot_path(outputs, Quarter.parse(d.name)).is_file()
    )
    return snapshot_path(outputs, quarters[-1]) if quarters else None


def _write_atomic(path: Path, text: str | None = None, copy_of: Path | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # dot-named: never mistaken for a page
    if copy_of is not None:
        shutil.copyfile(copy_of, tmp)
    else:
        tmp.write_text(text or "", encoding="utf-8")
    tmp.replace(path)


def publish(outputs: Path, as_of: Quarter, html: str) -> tuple[Path, Path]:
    """Write ``as_of``'s snapshot, then refresh the year's page from the year's latest snapshot.

    Returns (snapshot, year page)."""
    snapshot = snapshot_path(outputs, as_of)
    _write_atomic(snapshot, text=html)
    page = page_path(outputs, as_of.year)
    _write_atomic(page, copy_of=latest_snapshot(outputs, as_of.year))
    return snapshot, page
