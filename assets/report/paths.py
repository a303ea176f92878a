"""Where report pages live, and how a year's page is published (no heavy imports: the CLI uses it).

Each run writes a snapshot per quarter, ``<outputs>/<quarter>/state_of_ml_<year>.html``;
the year's page, ``<outputs>/report/state_of_ml_<year>.html``, is a copy of the snapshot of the
latest quarter of that year that has one. Re-running an earlier quarter therefore never replaces
a more complete page of its year with an older view. A quarter's own view (its quarterly
analyses) is ``<outputs>/report/state_of_ml_<quarter>.html`` (snapshot beside the year's), and
``<outputs>/report/index.html`` lists every page.

A published page is a byte copy of its snapshot, so both must sit at the same depth: snapshots in
``<outputs>/<quarter>/`` and published pages in ``<outputs>/report/`` are both one folder below
``<outputs>``, so one relative link (``../report/<page>``, the dbt docs site's) resolves from either.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from stateofml.quarters import Quarter

_QUARTER_DIR = re.compile(r"^\d{4}Q[1-4]$")
_YEAR_PAGE = re.compile(r"^state_of_ml_(\d{4})\.html$")
_QUARTER_PAGE = re.compile(r"^state_of_ml_(\d{4}Q[1-4])\.html$")
INDEX_NAME = "index.html"


def page_name(year: int) -> str:
    return f"state_of_ml_{year}.html"


def quarter_page_name(quarter: Quarter) -> str:
    return f"state_of_ml_{quarter.compact}.html"


def link(name: str) -> str:
    """The relative link to a published page, valid from a published page and from a snapshot."""
    return f"../report/{name}"


def docs_site_link(outputs: Path, docs_site: Path) -> str | None:
    """The relative link from a published page to the dbt docs site (``stateofml docs``), or None
    while the site is not built (the page then names the marts as text)."""
    if not docs_site.is_file():
        return None
    return Path(os.path.relpath(docs_site.resolve(), (outputs / "report").resolve())).as_posix()


def index_path(outputs: Path) -> Path:
    return outputs / "report" / INDEX_NAME


def published(outputs: Path) -> tuple[list[int], list[Quarter]]:
    """The years and quarters whose pages are published, oldest first."""
    names = [p.name for p in (outputs / "report").glob("state_of_ml_*.html")]
    years = sorted(int(m.group(1)) for n in names if (m := _YEAR_PAGE.match(n)))
    quarters = sorted(Quarter.parse(m.group(1)) for n in names if (m := _QUARTER_PAGE.match(n)))
    return years, quarters


def page_path(outputs: Path, year: int) -> Path:
    """The year's page: what ``stateofml report --year`` prints."""
    return outputs / "report" / page_name(year)


def snapshot_path(outputs: Path, as_of: Quarter) -> Path:
    """The page of ``as_of``'s year as it stood at the end of ``as_of``."""
    return outputs / as_of.compact / page_name(as_of.year)


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


def publish_quarter(outputs: Path, quarter: Quarter, html: str) -> tuple[Path, Path]:
    """Write ``quarter``'s own view as a snapshot and as its published page; (snapshot, page)."""
    snapshot = outputs / quarter.compact / quarter_page_name(quarter)
    _write_atomic(snapshot, text=html)
    page = outputs / "report" / quarter_page_name(quarter)
    _write_atomic(page, copy_of=snapshot)
    return snapshot, page


def publish_index(outputs: Path, html: str) -> Path:
    _write_atomic(index_path(outputs), text=html)
    return index_path(outputs)


def publish(outputs: Path, as_of: Quarter, html: str) -> tuple[Path, Path]:
    """Write ``as_of``'s snapshot, then refresh the year's page from the year's latest snapshot.

    Returns (snapshot, year page)."""
    snapshot = snapshot_path(outputs, as_of)
    _write_atomic(snapshot, text=html)
    page = page_path(outputs, as_of.year)
    _write_atomic(page, copy_of=latest_snapshot(outputs, as_of.year))
    return snapshot, page
