"""Real runs as a source: import the run folders the wandb client writes.

``import_runs(source, landing, users_file=None)`` finds every ``run-*``/``offline-run-*`` folder
under ``source``, reads its JSON/YAML files and its binary ``.wandb`` log, and writes contract
records (runs, code_blobs, users) to ``landing``, reporting every folder's outcome.
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
