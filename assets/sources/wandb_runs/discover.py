"""Find the run folders the wandb client writes, at any depth under a path.

The client names them ``run-YYYYMMDD_HHMMSS-<id>`` (``offline-run-...`` in offline mode). The
timestamp is the writer's local wall clock; it is only a last-resort creation time.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Custom run ids may contain '-' and '_', so the id is everything after the timestamp.
RUN_DIR = re.compile(r"^(?P<offline>offline-)?run-(?P<stamp>\d{8}_\d{6})-(?P<id>[^/]+)$")


@dataclass(frozen=True)
class RunFolder:
    path: Path
    run_id: str
    folder_time: datetime | None  # from the folder name, read as UTC (see module docstring)
    offline: bool
    symlink: bool = False  # a link named like a run folder: listed, never followed

    def rel(self, source: Path) -> str:
        try:
            return self.path.relative_to(source).as_posix() or "."
        except ValueError:
            return str(self.path)


def parse_run_dir(path: Path, *, symlink: bool = False) -> RunFolder | None:
    m = RUN_DIR.match(path.name)
    if not m:
        return None
    try:
        stamp = datetime.strptime(m["stamp"], "%Y%m%d_%H%M%S").replace(tzinfo=UTC)
    except ValueError:  # 8+6 digits that are no date (e.g. month 13): still a run folder
        stamp = None
    return RunFolder(path, m["id"], stamp, bool(m["offline"]), symlink)


def discover(source: Path | str) -> list[RunFolder]:
    """Every run folder under ``source`` (``source`` itself included), sorted by path.

    Symlinked directories below ``source`` are never entered: they can lead out of the tree, and the client's own
    ``latest-run`` link would count a run twice. A link that is *named* like a run folder is still
    returned (``symlink=True``) so the importer can report it instead of dropping it silently.
    """
    source = Path(source)
    if (run := parse_run_dir(source)) is not None:  # given explicitly: read even if it is a link
        return [run]
    found: list[RunFolder] = []
    for root, dirs, _files in os.walk(source, followlinks=False):
        keep = []
        for name in sorted(dirs):
            path = Path(root) / name
            link = path.is_symlink()
            if (run := parse_run_dir(path, symlink=link)) is not None:
                found.append(run)  # a run folder holds no further runs: don't descend
            elif not link:
                keep.append(name)
        dirs[:] = keep
    return sorted(found, key=lambda r: r.path)
