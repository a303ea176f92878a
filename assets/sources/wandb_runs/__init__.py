"""Real runs as a source: import the run folders the wandb client writes.

``import_runs(source, landing, users_file=None) -> ImportReport`` finds every ``run-*`` /
``offline-run-*`` folder under ``source`` (``discover``), reads its JSON/YAML files (``files``)
and its binary ``.wandb`` log (``record_log`` + ``log_facts``), merges them per folder
(``folder``: the log wins, files fill gaps, observation lists are unioned) and per run id
(a resumed run has several folders), and writes contract records -- runs, code_blobs, users,
artifacts, sweeps -- to ``landing`` (``importer``: manifest, statuses, idempotency). Every folder appears in the
report as imported, updated, partial (written, with the reasons something could not be read),
skipped (unchanged, or a symlink) or failed (nothing to write, with the reason).
"""

from .discover import RunFolder, discover
from .facts import RunFacts
from .folder import CodeBlob, FolderRead, read_folder
from .importer import STATUSES, FolderStatus, ImportReport, import_runs
from .record_log import LogRead, NotARecordLog

__all__ = [
    "STATUSES",
    "CodeBlob",
    "FolderRead",
    "FolderStatus",
    "ImportReport",
    "LogRead",
    "NotARecordLog",
    "RunFacts",
    "RunFolder",
    "discover",
    "import_runs",
    "read_folder",
]
