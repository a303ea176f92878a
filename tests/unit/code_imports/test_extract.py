"""extract_imports against the labelled corpus, in both strategies, plus the never-run / never-raise rules."""

from __future__ import annotations

import base64
import json
import pickle
import random
import sys
from pathlib import Path

import pytest

from assets.code_imports.extract import (
    FULL_PARSE_MAX_BYTES,
    MAX_SOURCE_BYTES,
    METHODS,
    ImportResult,
    extract_imports,
)

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = json.loads((CORPUS / "expected.json").read_text())
STRATEGIES = {"prefilter": True, "full": False}


def expected_method(entry: dict, strategy: str) -> str:
    return entry["method"] if strategy == "prefilter" else entry.get("full_method", entry["method"])


# --- fixtures too big or too odd to commit ------------------------------------------------------------


def _huge_script() -> bytes:
    # Above FULL_PARSE_MAX_BYTES: a script with a big embedded table, imports at both ends.
    row = "    [" + ", ".join(f"{i * 0.001:.3f}" for i in range(40)) + "],\n"
    body = "TABLE = [\n" + row * (FULL_PARSE_MAX_BYTES // len(row) + 200) + "]\n"
    source = "import numpy as np\nimport torch\n\n" + body + "\ndef save():\n    import zarr\n    return zarr\n"
    assert len(source) > FULL_PARSE_MAX_BYTES
    return source.encode()


def _too_large_script() -> bytes:
    return b"import torch\n" + b"x = 1\n" * (MAX_SOURCE_BYTES // 6 + 1)


def _deep_recursion() -> bytes:
    # ast.parse: RecursionError "maximum recursion depth exceeded during ast construction".
    return b"import torch\nx = " + b"1 + " * 200_000 + b"1\nimport numpy as np\n"


def _deep_unary() -> bytes:
    # ast.parse: MemoryError from the parser's own stack guard.
    return b"import jax\ny = " + b"-" * 200_000 + b"1\n"


def _deep_indentation() -> bytes:
    # IndentationError: too many levels of indentation (the tokenizer's limit is 100).
    lines = [" " * depth + "if True:" for depth in range(120)]
    return ("\n".join(lines) + "\n" + " " * 120 + "import sklearn\n").encode()


def _huge_outputs_notebook() -> bytes:
    # Notebooks carry their outputs: a few MB of base64 PNGs around two import lines.
    png = base64.b64encode(random.Random(0).randbytes(3 * 1024 * 1024)).decode()
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "source": ["import tensorflow as tf\n", "import wandb\n", "tf.keras.utils.plot_model(model)"],
        "outputs": [{"output_type": "display_data", "data": {"image/png": png}, "metadata": {}}],
    }
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    data = json.dumps(notebook).encode()
    assert FULL_PARSE_MAX_BYTES < len(data) < MAX_SOURCE_BYTES
    return data


def _surrogates_in_str() -> str:
    # A str decoded upstream with surrogateescape: ast.parse cannot re-encode it as UTF-8.
    return "import torch\nlabel = 'caf\udce9'\n"


GENERATORS = {
    "huge_script.py": _huge_script,
    "too_large_script.py": _too_large_script,
    "deep_recursion.py": _deep_recursion,
    "deep_unary_memoryerror.py": _deep_unary,
    "deep_indentation.py": _deep_indentation,
    "huge_outputs_notebook.ipynb": _huge_outputs_notebook,
    "surrogates_in_str.py": _surrogates_in_str,
}


# --- the corpus ---------------------------------------------------------------------------------------


def test_manifest_lists_exactly_the_corpus():
    on_disk = {p.name for p in CORPUS.iterdir() if p.name not in ("expected.json", ".gitattributes")}
    assert on_disk == set(MANIFEST["files"])
    assert set(GENERATORS) == set(MANIFEST["generated"])
    assert len(on_disk) + len(GENERATORS) >= 45
    for entry in [*MANIFEST["files"].values(), *MANIFEST["generated"].values()]:
        assert entry["modules"] == sorted(set(entry["modules"]))
        assert {entry["method"], entry.get("full_method", entry["method"])} <= set(METHODS)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name", sorted(MANIFEST["files"]))
def test_corpus_file(name, strategy):
    entry = MANIFEST["files"][name]
    result = extract_imports((CORPUS / name).read_bytes(), name, prefilter=STRATEGIES[strategy])
    assert (list(result.modules), result.method) == (entry["modules"], expected_method(entry, strategy))
    assert (result.error is not None) == (result.method in ("line_fallback", "skipped_too_large")), result


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generated_fixture(name, strategy):
    entry = MANIFEST["generated"][name]
    result = extract_imports(GENERATORS[name](), name, prefilter=STRATEGIES[strategy])
    assert (list(result.modules), result.method) == (entry["modules"], expected_method(entry, strategy))
    assert (result.error is not None) == (result.method in ("line_fallback", "skipped_too_large")), result


def _is_utf8(name: str) -> bool:
    try:
        (CORPUS / name).read_bytes().decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


# Files that are not UTF-8 exist only as bytes: they are covered by the corpus test above.
@pytest.mark.parametrize("name", [n for n in sorted(MANIFEST["files"]) if _is_utf8(n)])
def test_text_and_bytes_agree(name):
    # The landing zone stores text; the same file given as bytes must give the same answer.
    data = (CORPUS / name).read_bytes()
    assert extract_imports(data.decode("utf-8"), name) == extract_imports(data, name)


def test_notebook_recognised_without_a_path():
    data = (CORPUS / "notebook_pytorch.ipynb").read_text()
    assert extract_imports(data) == extract_imports(data, "notebook_pytorch.ipynb")
    assert extract_imports(data).method == "notebook_ast"


def test_ipynb_name_with_plain_python_inside():
    assert extract_imports("import torch\n", "misnamed.ipynb") == ImportResult(("torch",), "ast")


def test_result_pickles_for_the_process_pool():
    result = extract_imports(b"import torch\n")
    assert pickle.loads(pickle.dumps(result)) == result


def test_none_is_empty():
    assert extract_imports(None) == ImportResult((), "empty")


# --- never run, never raise -----------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_code_is_never_executed_nor_imported(tmp_path, monkeypatch, strategy):
    marker = tmp_path / "executed.marker"
    canary_marker = tmp_path / "canary.marker"
    canary_dir = tmp_path / "site"
    canary_dir.mkdir()
    # If extraction imported the corpus file's modules, this one would leave its own marker.
    (canary_dir / "corpus_execution_canary.py").write_text(
        f"open({str(canary_marker)!r}, 'w').write('imported')\nraise SystemExit(4)\n"
    )
    monkeypatch.syspath_prepend(str(canary_dir))
    monkeypatch.setenv("CODE_IMPORTS_MARKER", str(marker))
    source = (CORPUS / "never_execute.py").read_bytes()

    result = extract_imports(source, "never_execute.py", prefilter=STRATEGIES[strategy])

    assert result.modules == ("corpus_execution_canary", "torch")
    assert not marker.exists() and not Path(f"{marker}.shell").exists()
    assert not canary_marker.exists()
    assert "corpus_execution_canary" not in sys.modules


def _mangled_sources(seed: int = 7):
    """Every corpus file cut at random points and with random bytes overwritten: truncated uploads."""
    rng = random.Random(seed)
    for path in sorted(p for p in CORPUS.iterdir() if p.name in MANIFEST["files"]):
        data = path.read_bytes()
        for _ in range(6):
            cut = data[: rng.randrange(len(data) + 1)]
            noisy = bytearray(cut)
            for _ in range(min(len(noisy), 5)):
                noisy[rng.randrange(len(noisy))] = rng.randrange(256)
            yield path.name, cut
            yield path.name, bytes(noisy)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_never_raises_on_mangled_input(strategy):
    for name, data in _mangled_sources():
        result = extract_imports(data, name, prefilter=STRATEGIES[strategy])
        assert result.method in METHODS
        assert all(module.isidentifier() for module in result.modules)
        assert list(result.modules) == sorted(set(result.modules))
