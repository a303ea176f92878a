import sys
from typing import TYPE_CHECKING

try:
    import ujson as json
except ImportError:
    import json

try:
    from apex import amp
    HAS_APEX = True
except (ImportError, ModuleNotFoundError):
    HAS_APEX = False
else:
    import apex.parallel
finally:
    import gc

if TYPE_CHECKING:
    from pandas import DataFrame

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

if sys.platform == "darwin":
    import coremltools
elif sys.platform == "win32":
    import win32api
else:
    pass

with open("config.toml", "rb") as fh:
    import yaml
    config = tomllib.load(fh)

for backend in ("nccl",):
    import deepspeed

while False:
    import horovod.torch as hvd

match config.get("tracker"):
    case "mlflow":
        import mlflow
    case "neptune":
        from neptune import new as neptune
    case _:
        import wandb
