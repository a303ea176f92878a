"""If this file were ever executed or imported, it would leave a marker file and stop the process."""
import os
import sys

import corpus_execution_canary  # a module the test puts on sys.path: importing it writes a marker too
import torch

marker = os.environ.get("CODE_IMPORTS_MARKER", "/tmp/code_imports_executed.marker")
with open(marker, "w") as fh:
    fh.write("executed")
os.system("touch " + marker + ".shell")
raise SystemExit(3)
