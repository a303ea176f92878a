"""What changed in a watched folder, and which quarters of the report it touches.

Pure functions (no Dagster) behind the sensors in ``orchestration/sensors.py`` and the
``import-runs`` command:

* ``landing_group`` names the part of the landing zone a file belongs to: ``users`` (the
  profile snapshot) or ``<entity>/<quarter>`` (``runs/2022Q3``), from the contract's
  ``<entity>/date=YYYY-MM-DD/<file>`` layout. ``affected`` turns groups into quarters.
* ``scan_landing`` / ``tree_signature`` reduce a folder tree to short signatures of file names,
  sizes and modification times. One signature per *group*, not per file or per date folder: at
  full size (3 years x 365 days x 5 entities) the cursor still holds about 60 short entries.
* ``Watch`` is the cursor: signatures last seen and last handled. A change is handed on once it
  has *settled* (the same signature on two evaluations in a row: a writer is done) or has been
  pending for ``max_wait`` seconds (a live run folder never stops growing).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .contract import ENTITIES, FORMATS
from .quarters import Quarter

REFERENCE_GROUP = "users"  # not quarterly: the profile snapshot every quarter reads
SIGNATURE_CHARS = 12  # 48 bits: a collision between two states of one group is not a concern


def landing_group(parts: Iterable[str]) -> str | None:
    """The group of a landing file given its path parts below the landing root, or None.

    ``("runs", "date=2022-08-01", "part.parquet") -> "runs/2022Q3"``; ``users/...`` -> ``users``.
    Files that are not landing data (dot files being written, other suffixes, other folders such as
    the importer's ``_imports/``, malformed dates) belong to no group.
    """
    parts = tuple(parts)
    if len(parts) != 3:
        return None
    entity, folder, name = parts
    if entity not in ENTITIES or name.startswith(".") or not name.endswith(FORMATS):
        return None
    if not folder.startswith("date="):
        return None
    try:
        quarter = Quarter.containing(date.fromisoformat(folder[5:]))
    except ValueError:  # not a date, or a year the calendar does not know
        return None
    if not ENTITIES[entity].quarterly:
        return REFERENCE_GROUP
    return f"{entity}/{quarter.compact}"


def group_quarter(group: str) -> Quarter | None:
    """``runs/2022Q3`` -> 2022Q3; the reference group -> None."""
    return None if group == REFERENCE_GROUP else Quarter.parse(group.rpartition("/")[2])


@dataclass(frozen=True)
class Affected:
    """What a set of changed groups asks for: quarters to re-materialize, and the reference data."""

    quarters: tuple[Quarter, ...] = ()
    reference: bool = False

    def __bool__(self) -> bool:
        return bool(self.quarters) or self.reference


def affected(groups: Iterable[str]) -> Affected:
    groups = set(groups)
    quarters = sorted({q for g in groups if (q := group_quarter(g)) is not None})
    return Affected(tuple(quarters), REFERENCE_GROUP in groups)


def affected_by_files(paths: Iterable[Path | str], landing: Path | str) -> Affected:
    """The quarters (and reference data) that landing files written under ``landing`` touch."""
    landing = Path(landing).resolve()
    groups = set()
    for p in paths:
        try:
            rel = Path(p).resolve().relative_to(landing)
        except ValueError:
            continue
        if (g := landing_group(rel.parts)) is not None:
            groups.add(g)
    return affected(groups)


def _digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8", "surrogateescape"))
        h.update(b"\n")
    return h.hexdigest()[:SIGNATURE_CHARS]


def scan_landing(landing: Path | str) -> dict[str, str]:
    """Group -> signature of its files (date folder, name, size, mtime). Absent groups are absent."""
    landing = Path(landing)
    entries: dict[str, list[str]] = {}
    for entity in ENTITIES:
        root = landing / entity
        if not root.is_dir():
            continue
        with os.scandir(root) as folders:
            for folder in folders:
                if not folder.is_dir(follow_symlinks=False):
                    continue
                with os.scandir(folder.path) as files:
                    for f in files:
                        group = landing_group((entity, folder.name, f.name))
                        if group is None or not f.is_file(follow_symlinks=False):
                            continue
                        st = f.stat(follow_symlinks=False)
                        entries.setdefault(group, []).append(f"{folder.name}/{f.name}\0{st.st_size}\0{st.st_mtime_ns}")
    return {g: _digest(sorted(lines)) for g, lines in entries.items()}


def tree_signature(root: Path | str) -> tuple[str, int] | None:
    """Signature and file count of everything under ``root`` (links listed, never followed);
    None when ``root`` does not exist."""
    root = Path(root)
    if not root.is_dir():
        return None
    lines = []
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        rel = Path(dirpath).relative_to(root).as_posix()
        for name in files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except FileNotFoundError:  # removed while we looked: the next evaluation sees it
                continue
            lines.append(f"{rel}/{name}\0{st.st_size}\0{st.st_mtime_ns}")
    return _digest(sorted(lines)), len(lines)


def combined_signature(signatures: Mapping[str, str | None]) -> str:
    """One signature for several groups (a run key that changes when any of them does)."""
    return _digest(f"{k}={v or ''}" for k, v in sorted(signatures.items()))


@dataclass
class Watch:
    """The sensor cursor: what was seen on the previous evaluation and what was already handed on."""

    seen: dict[str, str] = field(default_factory=dict)
    handled: dict[str, str] = field(default_factory=dict)
    pending_since: dict[str, float] = field(default_factory=dict)  # first evaluation that saw the change

    VERSION = 1

    @classmethod
    def load(cls, cursor: str | None) -> Watch | None:
        """The cursor's state; None for no cursor or one this version cannot read (start over)."""
        if not cursor:
            return None
        try:
            data = json.loads(cursor)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("v") != cls.VERSION:
            return None
        return cls(dict(data.get("seen", {})), dict(data.get("handled", {})), dict(data.get("since", {})))

    @classmethod
    def baseline(cls, current: Mapping[str, str]) -> Watch:
        """Everything present now counts as handled (a first evaluation over existing data)."""
        return cls(dict(current), dict(current))

    def dump(self) -> str:
        return json.dumps(
            {"v": self.VERSION, "seen": self.seen, "handled": self.handled, "since": self.pending_since},
            sort_keys=True,
            separators=(",", ":"),
        )

    def pending(self, current: Mapping[str, str]) -> set[str]:
        return {k for k in set(current) | set(self.handled) if current.get(k) != self.handled.get(k)}

    def step(
        self,
        current: Mapping[str, str],
        now: float,
        max_wait: float,
        actionable: Callable[[str], bool] = lambda key: True,
    ) -> tuple[list[str], list[str]]:
        """Advance to ``current``; return (ready, absorbed) keys.

        ready: changed, settled (or waited ``max_wait``) and actionable -- now handled.
        absorbed: changed but not actionable (e.g. a quarter that has not closed yet) -- marked
        handled without a request, because something else covers them (the quarterly schedule).
        """
        ready, absorbed = [], []
        for key in sorted(self.pending(current)):
            value = current.get(key)
            if not actionable(key):
                absorbed.append(key)
            else:
                since = self.pending_since.setdefault(key, now)
                if value != self.seen.get(key) and now - since < max_wait:
                    continue  # still changing: wait for it to settle
                ready.append(key)
            self.pending_since.pop(key, None)
            if value is None:
                self.handled.pop(key, None)
            else:
                self.handled[key] = value
        for key in list(self.pending_since):
            if current.get(key) == self.handled.get(key):  # changed back before it settled
                del self.pending_since[key]
        self.seen = dict(current)
        return ready, absorbed
