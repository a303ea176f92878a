"""Plugins and optional backends loaded by name."""
import importlib
from importlib import import_module

BACKENDS = {"torch": "torch", "tf": "tensorflow"}

models = importlib.import_module("torchvision.models")
yaml = __import__("yaml")
albu = import_module(name="albumentations")
cv = importlib.import_module('cv2')
spec_name = "jax"
dynamic = importlib.import_module(spec_name)  # a variable: unknown, not counted
plugin = importlib.import_module(f"plugins.{spec_name}")  # an f-string: not counted
joined = importlib.import_module("tensorflow" + "_addons")  # an expression: not counted
local = importlib.import_module(".heads", package="mypkg")  # relative: the project's own
os_mod = __import__("os")  # standard library
by_bytes = __import__(b"pickle".decode())


def backend(name):
    return importlib.import_module(BACKENDS[name])


def load_sklearn():
    return importlib.import_module(
        "sklearn.linear_model"
    )
