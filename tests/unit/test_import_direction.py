"""Dependencies point one way (README, "Architecture"): vocabulary <- platform <- assets <- wiring <- CLI.

The imports of every module are read with ``ast`` (nothing is imported), relative imports resolved,
imports inside functions included: a lazy import that points the wrong way is still a knot.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("stateofml", "simulator", "assets", "orchestration")

VOCABULARY = ("stateofml.quarters", "stateofml.contract", "stateofml.watch")
PLATFORM = ("stateofml.platform",)

# Layer of a module (first matching prefix; the most specific first) -> the project modules it may import.
RULES: list[tuple[str, tuple[str, ...]]] = [
    ("stateofml.cli", ("stateofml", "simulator", "assets", "orchestration")),
    ("stateofml.platform", (*VOCABULARY, *PLATFORM)),
    ("stateofml", VOCABULARY),
    ("simulator", ("simulator", *VOCABULARY)),
    ("assets", ("assets", *VOCABULARY, *PLATFORM)),
    ("orchestration", ("orchestration", "assets", *VOCABULARY, *PLATFORM)),
    # The tests' shared set-up comes from the platform, never from the CLI (the CLI's own tests may import it).
    ("tests.conftest", ("tests", "simulator", "assets", "orchestration", *VOCABULARY, *PLATFORM)),
    ("tests.pipeline", ("tests", "simulator", "assets", "orchestration", *VOCABULARY, *PLATFORM)),
    ("tests.landing_builder", ("tests", "simulator", "assets", "orchestration", *VOCABULARY, *PLATFORM)),
]
PROJECT = (*PACKAGES, "tests")
# Package roots whose __init__ holds no code (a docstring): importable from every layer.
EMPTY_ROOTS = ("stateofml",)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, module: str, source: bytes) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    tree = ast.parse(source, filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from pkg import mod` names the module pkg.mod; `from mod import name`, the module mod.
            found += [(node.lineno, f"{target}.{a.name}" if is_module(f"{target}.{a.name}") else target) for a in node.names]
    return found


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def rule_for(module: str) -> tuple[str, ...] | None:
    return next((allowed for prefix, allowed in RULES if within(module, (prefix,))), None)


def is_module(name: str) -> bool:
    """A project module or package (not a name imported from one)."""
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violations(files: list[Path], sources: dict[Path, bytes] | None = None) -> list[str]:
    """Wrong-way imports of ``files`` (their text from ``sources`` when given)."""
    found = []
    for path in files:
        module = module_name(path)
        allowed = rule_for(module)
        if allowed is None:
            continue
        for line, target in imported_modules(path, module, (sources or {}).get(path) or path.read_bytes()):
            if within(target, PROJECT) and target not in EMPTY_ROOTS and not within(target, allowed):
                found.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {target}")
    return found


def project_files() -> list[Path]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    return files + [ROOT / "tests" / f"{name}.py" for name in ("conftest", "pipeline", "landing_builder")]


def test_every_import_points_the_right_way():
    files = project_files()
    assert len(files) > 50  # the walk found the tree
    assert violations(files) == []


def test_empty_roots_hold_no_code():
    for root in EMPTY_ROOTS:
        body = ast.parse((ROOT / root / "__init__.py").read_text()).body
        assert all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body), root


def test_every_module_has_a_rule():
    """A new top-level package must be placed in a layer before it can be imported."""
    assert [module_name(p) for p in project_files() if rule_for(module_name(p)) is None] == []


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        ("assets/ingest/assets.py", "from orchestration.jobs import REFERENCE\n", "assets.ingest.assets imports orchestration.jobs"),
        ("stateofml/platform/automation.py", "from ..cli import main\n", "stateofml.platform.automation imports stateofml.cli"),
        ("stateofml/quarters.py", "from stateofml.platform import partitions\n", "stateofml.quarters imports stateofml.platform.partitions"),
        ("simulator/engine.py", "def f():\n    import assets.ingest.load\n", "simulator.engine imports assets.ingest.load"),
        ("orchestration/jobs.py", "from stateofml import cli\n", "orchestration.jobs imports stateofml.cli"),
        ("tests/conftest.py", "from stateofml.cli import main\n", "tests.conftest imports stateofml.cli"),
    ],
)
def test_a_wrong_way_import_is_caught(where, source, expected):
    """The check fails on each kind of knot (the text given as a real module's)."""
    fake = ROOT / where
    [problem] = violations([fake], {fake: source.encode()})
    assert problem.endswith(expected)


def test_right_way_imports_pass():
    fake = ROOT / "assets" / "report" / "assets.py"
    source = "from stateofml.platform.resources import Warehouse\nfrom .page import render_page\nfrom assets.charts.theme import FONT\n"
    assert violations([fake], {fake: source.encode()}) == []


def private_dagster_imports(files: list[Path], sources: dict[Path, bytes] | None = None) -> list[str]:
    """Imports of a private module of dagster or of an integration (``dagster._core``, ``dagster_dbt._...``)."""
    found = []
    for path in files:
        for line, target in imported_modules(path, module_name(path), (sources or {}).get(path) or path.read_bytes()):
            top, _, rest = target.partition(".")
            if (top == "dagster" or top.startswith("dagster_")) and any(p.startswith("_") for p in rest.split(".") if p):
                found.append(f"{path.relative_to(ROOT)}:{line}: {target}")
    return found


def test_no_private_dagster_module_is_imported_anywhere():
    """House rule: public Dagster APIs only, tests and benchmarks included (private modules change without notice)."""
    corpus = ROOT / "tests" / "unit" / "code_imports" / "corpus"  # hostile training scripts: data, not code
    files = [p for d in (*PACKAGES, "tests", "bench", "scripts") for p in (ROOT / d).rglob("*.py")
             if not p.is_relative_to(corpus)]
    assert len(files) > 100
    assert private_dagster_imports(files) == []
    fake = ROOT / "tests" / "unit" / "test_automation.py"
    lazy = b"def f():\n    from dagster._core.execution.backfill import PartitionBackfill\n"
    assert private_dagster_imports([fake], {fake: lazy}) == ["tests/unit/test_automation.py:2: dagster._core.execution.backfill"]
    public = b"import dagster as dg\nfrom dagster_graphql.test.utils import execute_dagster_graphql\nfrom dagster_dbt import dbt_assets\n"
    assert private_dagster_imports([fake], {fake: public}) == []
