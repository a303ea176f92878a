"""Read one run folder: its files, its binary log and its saved code, safely.

Nothing is followed out of the folder: every path is resolved (symlinks included) and must stay
inside the run folder -- inside ``files/code/`` for saved code, whose path comes from the run's
own metadata and may be hostile (``../../etc/passwd``, ``/etc/passwd``).

Merge rule (documented choice): the binary log wins where both it and a JSON/YAML file give a
value. The log is the client's primary, append-only, checksummed record; the files are snapshots
it derives from the log and may be stale. The files fill whatever the log lacks (older clients
wrote no log, 0.31 offline writes no files, a damaged log loses its tail); lists of observations
(imports, env flags, media types) are unioned.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .discover import RunFolder
from .facts import RunFacts, merge
from .files import FileProblem, parse_config, parse_metadata, parse_requirements, parse_summary
from .log_facts import facts_from_records
from .record_log import LogRead, NotARecordLog

_FILE_PARSERS = {
    "wandb-metadata.json": parse_metadata,
    "wandb-summary.json": parse_summary,
    "config.yaml": parse_config,
    "requirements.txt": parse_requirements,
}
# The files that say something about the run itself; requirements.txt and code alone do not.
_RUN_FILES = {"wandb-metadata.json", "wandb-summary.json", "config.yaml"}


class Refused(Exception):
    pass


@dataclass(frozen=True)
class CodeBlob:
    code_hash: str  # sha256 hex of the bytes
    path: str  # relative to files/code/
    source: str


@dataclass
class FolderRead:
    folder: RunFolder
    facts: RunFacts = field(default_factory=RunFacts)
    problems: list[str] = field(default_factory=list)
    code: CodeBlob | None = None
    has_log: bool = False
    has_run_data: bool = False  # a log or any run file was read
    # (path relative to the folder, sha256 of its bytes) of every input: the content fingerprint.
    inputs: list[tuple[str, str]] = field(default_factory=list)


def inside(path: Path, root: Path) -> Path:
    """``path`` resolved, if it is a regular file within ``root``; raises :class:`Refused`."""
    real = path.resolve()
    if not real.is_relative_to(root.resolve()):
        raise Refused("points outside the run folder")
    if not real.is_file():
        raise Refused("is not a regular file")
    return real


def read_folder(folder: RunFolder) -> FolderRead:
    out = FolderRead(folder)
    root = folder.path
    files_dir = root / "files"
    file_facts = RunFacts()
    for name, parse in _FILE_PARSERS.items():
        raw = _read(out, files_dir / name, root)
        if raw is None:
            continue
        try:
            file_facts = merge(file_facts, parse(raw))
        except FileProblem as e:
            out.problems.append(str(e))
            continue
        out.has_run_data |= name in _RUN_FILES

    log_facts = RunFacts()
    log_path = root / f"run-{folder.run_id}.wandb"
    if log_path.exists() or log_path.is_symlink():
        log_facts = _read_log(out, log_path, root)

    out.facts = merge(file_facts, log_facts)
    if out.facts.run_id and out.facts.run_id != folder.run_id:
        out.problems.append(f"the log names run {out.facts.run_id!r}, the folder {folder.run_id!r}")
    out.code = _read_code(out, files_dir)
    out.facts.local_modules = sorted(_local_modules(out, files_dir))
    return out


def _local_modules(out: FolderRead, files_dir: Path) -> set[str]:
    """The project's own top-level modules the folder shows, so that they are not counted as libraries:
    files and packages saved beside the script under files/code/, and the files of code artifacts
    (``run.log_code()``), relative to the project root and to the script's folder."""
    script_dir = PurePosixPath(out.code.path).parent if out.code else PurePosixPath(".")
    paths = [p for a in out.facts.artifacts if a.type == "code" for p in a.paths]
    code_dir = files_dir / "code"
    if code_dir.is_dir() and not code_dir.is_symlink():
        # Names only, nothing read; the walk does not follow links out of the folder.
        for root, dirs, files in os.walk(code_dir):
            dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
            paths += [(Path(root) / f).relative_to(code_dir).as_posix() for f in files]
    names = set()
    for path in paths:
        if not path.endswith(".py"):
            continue
        pure = PurePosixPath(path)
        rel = pure.relative_to(script_dir) if pure.is_relative_to(script_dir) else pure
        for candidate in (pure, rel):
            top = candidate.parts[0] if len(candidate.parts) > 1 else candidate.stem
            if top.isidentifier() and top != "__init__":
                names.add(top)
    return names


def _read(out: FolderRead, path: Path, root: Path) -> bytes | None:
    """The file's bytes, recorded as an input; None (and a problem if it exists) otherwise."""
    if not (path.exists() or path.is_symlink()):
        return None
    rel = path.relative_to(root).as_posix()
    try:
        raw = inside(path, root).read_bytes()
    except Refused as e:
        out.problems.append(f"{rel} {e}: not read")
        return None
    except OSError as e:
        out.problems.append(f"{rel}: cannot read ({e.strerror})")
        return None
    out.inputs.append((rel, hashlib.sha256(raw).hexdigest()))
    return raw


def _read_log(out: FolderRead, path: Path, root: Path) -> RunFacts:
    rel = path.relative_to(root).as_posix()
    try:
        real = inside(path, root)
    except Refused as e:
        out.problems.append(f"{rel} {e}: not read")
        return RunFacts()
    log = LogRead(real)
    try:
        # Hash before parsing: if a live run appends in between, the fingerprint is the older
        # content and the next import sees a change (never the reverse, which would lose records).
        digest = _sha256_file(real)
        facts = facts_from_records(log.records())
    except NotARecordLog as e:
        out.problems.append(str(e))
        return RunFacts()
    except OSError as e:
        out.problems.append(f"{rel}: cannot read ({e.strerror})")
        return RunFacts()
    out.has_log = out.has_run_data = True
    out.problems.extend(f"{rel}: {d}" for d in log.damage)
    if log.count == 0 and not log.damage:
        # Seen when the process was killed early: the client had not flushed a single record.
        out.problems.append(f"{rel}: holds no records (the client wrote only the file header)")
    out.inputs.append((rel, digest))
    return facts


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_code(out: FolderRead, files_dir: Path) -> CodeBlob | None:
    """The saved training code named by the run, if it was saved and stays in files/code/."""
    code_dir = files_dir / "code"
    for candidate in out.facts.code_paths:
        target = code_dir / candidate  # an absolute candidate replaces code_dir: caught below
        try:
            escapes = not target.resolve().is_relative_to(code_dir.resolve())
        except (OSError, ValueError):  # a NUL byte, a symlink loop
            escapes = True
        if escapes:
            out.problems.append(f"code path {candidate!r} points outside files/code/: not followed")
            continue
        if not (target.exists() or target.is_symlink()):
            continue  # code saving was off: the path is recorded, the file is not
        raw = _read(out, target, out.folder.path)
        if raw is not None:
            return CodeBlob(
                hashlib.sha256(raw).hexdigest(), Path(candidate).as_posix(), raw.decode("utf-8", errors="replace")
            )
    return None
