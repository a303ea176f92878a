"""Third-party modules imported by a training script or notebook, found by parsing, never by running.

The report counts a framework or library as present in a run when the run's training code imports it
(the talk's method; it over-counts libraries imported but unused). This module turns one saved source
(``code_blobs.source``: a ``.py`` text or a notebook's JSON) into the sorted top-level module names it
imports, minus the standard library and relative imports. It never imports or executes the code and
never raises: whatever goes wrong is recorded in ``ImportResult.method`` / ``.error``.

Two strategies give the same modules on well-formed code:

* prefilter (default): one regex pass finds the import statements outside strings and comments and only
  those statements are given to ``ast.parse``. About ten times cheaper than parsing the whole file, and a
  syntax error elsewhere in the file (Python 2 ``print``, a broken cell) cannot hide the imports.
* full: ``ast.parse`` of the whole source, falling back to the prefilter when it fails. Kept as the
  reference the prefilter is checked against (tests, benchmark).

``method`` says how the imports were obtained: ``ast`` / ``notebook_ast`` (every import statement was
parsed by ``ast``), ``line_fallback`` (some statement or, in full mode, the whole file did not parse and
a regex read the names), ``skipped_too_large`` (not read at all), ``empty`` (no code). ``error`` is set
exactly when the method is ``line_fallback`` or ``skipped_too_large`` and says why.
"""

from __future__ import annotations

import ast
import codecs
import functools
import json
import keyword
import re
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

# Above this a source is not read at all: generated files or notebooks full of embedded outputs that size
# carry no more imports, and a worker must not hold hundreds of MB for one blob.
MAX_SOURCE_BYTES = 16 * 1024 * 1024
# Above this even full mode uses the prefilter: the AST of a multi-MB file costs tens of MB and seconds.
FULL_PARSE_MAX_BYTES = 2 * 1024 * 1024

METHODS = ("ast", "notebook_ast", "line_fallback", "skipped_too_large", "empty")

# Python 2 standard-library modules: old training code imports them and they are no more third-party
# than their Python 3 successors. sys.stdlib_module_names only knows the running interpreter's stdlib.
_PY2_STDLIB = frozenset(
    """__builtin__ BaseHTTPServer CGIHTTPServer ConfigParser Cookie HTMLParser Queue ScrolledText
    SimpleHTTPServer SimpleXMLRPCServer SocketServer StringIO Tix Tkinter UserDict UserList UserString
    anydbm commands cPickle cStringIO cookielib copy_reg dbhash dircache dummy_thread exceptions
    htmlentitydefs httplib md5 mimetools new popen2 repr rfc822 robotparser sets sha thread tkMessageBox
    urllib2 urlparse whichdb xmlrpclib""".split()
)
STDLIB_MODULES = frozenset(sys.stdlib_module_names) | {"__future__", "__main__"} | _PY2_STDLIB

_DYNAMIC_IMPORT_FUNCS = frozenset({"__import__", "import_module"})

# Keras used through TensorFlow (`from tensorflow import keras`, `tensorflow.keras.layers`, the older
# `tensorflow.python.keras`): Keras is what the script programs against, so both count.
_TF_KERAS = re.compile(r"^tensorflow(?:\.python)?\.keras(?:\.|$)")
# `tf.keras.<...>` after `import tensorflow as tf`: an attribute access, outside strings and comments.
# The regex finds `.keras` (a literal first, so the engine skips in C to the next candidate character);
# _keras_bases reads the name before it: the whole word, starting with an ASCII letter or `_`, not
# itself after a dot (`a.b.keras` has no base), with only blanks between it and the dot: what
# `(?<![\w.])([A-Za-z_]\w*+)[ \t]*+\.[ \t]*+keras\b` would match in the same left-to-right pass.
_KERAS_ATTR = re.compile(
    r"""
      \#[^\n]*+
    | \"\"\"(?:[^"\\]++|\\[\s\S]|"(?!""))*+\"\"\"
    | '''(?:[^'\\]++|\\[\s\S]|'(?!''))*+'''
    | "(?:[^"\\\n]++|\\[\s\S])*+"
    | '(?:[^'\\\n]++|\\[\s\S])*+'
    | (?P<dot>\.)[ \t]*+keras\b
    """,
    re.VERBOSE,
)
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
# IPython line magics that time or profile a Python statement: the statement still runs.
_STATEMENT_MAGIC = re.compile(
    r"^([ \t]*)%(?:time|timeit|prun)\b(?:[ \t]+-\w+(?:[ \t]+\d+)?)*+[ \t]+(?=\S)", re.MULTILINE
)

# One left-to-right pass, like a tokenizer: comments and string literals are consumed whole so that an
# "import" inside a docstring or a comment is never taken for a statement. Possessive quantifiers keep
# the pass linear even on unterminated strings. Every alternative starts with a literal character
# (``\b`` before a word is written ``i(?<!\wi)mport``), so the regex engine skips in C to the next
# ``# " ' i f _`` instead of trying each alternative at every position (2.5x faster). A statement is
# the whole match when ``imp`` or ``frm`` took part in it.
_ws = r"(?:[ \t]|\\\n)"  # blanks, including backslash line continuations
_SCAN = re.compile(
    rf"""
      \#[^\n]*+
    | \"\"\"(?:[^"\\]++|\\[\s\S]|"(?!""))*+\"\"\"
    | '''(?:[^'\\]++|\\[\s\S]|'(?!''))*+'''
    | "(?:[^"\\\n]++|\\[\s\S])*+"
    | '(?:[^'\\\n]++|\\[\s\S])*+'
    | i(?<!\wi)mport(?:
          (?P<imp>{_ws}++(?:[^\n\\;#]++|\\\n)*+)
        | _module\s*+\(\s*+(?:name\s*+=\s*+)?+(?P<quote>["'])(?P<dynamic>[\w.]++)(?P=quote)\s*+[,)] )
    | f(?<!\wf)rom\b(?:[^\n\\;#]|\\\n)*?\bimport\b{_ws}*+   # also "from.x import y", "from .import y"
          # parenthesised names, comments allowed inside; an unclosed "(" stops at the next import
          (?P<frm> \((?:[^)#i]++|i(?!mport\b)|\#[^\n]*+)*+\)
                 | (?:[^\n\\;#]++|\\\n)*+ )
    | _(?<!\w_)_import__\s*+\(\s*+(?:name\s*+=\s*+)?+(?P<quote2>["'])(?P<dynamic2>[\w.]++)(?P=quote2)\s*+[,)]
    """,
    re.VERBOSE,
)

# IPython syntax that is not Python: line magics, shell escapes (also `x = !ls`), `obj?` help.
_MAGIC_LINE = re.compile(
    r"^([ \t]*)(?:[%!].*|\?{1,2}[\w.]+[ \t]*|[\w.]+\?{1,2}[ \t]*|[\w, \t]+=[ \t]*[%!].*)$", re.MULTILINE
)
_JSON_STRING = re.compile(r'"(?:[^"\\\n]++|\\.)*+"')
_IMPORT_LINE = re.compile(r"[ \t]*(?:import|from)[ \t]+[\w.]")
# Cell magics whose body is another language: the cell is not Python at all.
_FOREIGN_CELL_MAGICS = frozenset(
    "bash sh script html javascript js latex markdown svg perl ruby sql R cmd powershell system sx".split()
)


@dataclass(frozen=True, slots=True)
class ImportResult:
    modules: tuple[str, ...]  # sorted, unique top-level third-party module names
    method: str  # one of METHODS
    error: str | None = None  # why the method is line_fallback / skipped_too_large

    def __reduce__(self) -> tuple[type[ImportResult], tuple[tuple[str, ...], str, str | None]]:
        # A process pool sends results back pickled: the default for a slotted dataclass (a state dict)
        # costs ~7 us a result, this tuple 0.2 us.
        return ImportResult, (self.modules, self.method, self.error)


@dataclass(slots=True)
class _Found:
    """Module names gathered from one unit of code, and the first reason a regex had to stand in.

    ``tf_aliases``: names bound to tensorflow by an import; ``keras_bases``: names ``X`` of ``X.keras``.
    """

    names: set[str]
    fallback: str | None = None
    tf_aliases: set[str] = field(default_factory=set)
    keras_bases: set[str] = field(default_factory=set)

    def add(self, other: _Found) -> None:
        self.names |= other.names
        self.tf_aliases |= other.tf_aliases
        self.keras_bases |= other.keras_bases
        self.fallback = self.fallback or other.fallback


def extract_imports(
    source: str | bytes | None,
    path: str | None = None,
    *,
    prefilter: bool = True,
    local_modules: Iterable[str] = (),
) -> ImportResult:
    """The third-party modules ``source`` imports. ``path`` (``train.py``, ``nb.ipynb``) tells notebooks apart.

    Modules that are the project's own are left out: ``local_modules`` (what the run's file list shows
    beside the script) and what ``path`` itself shows (see :func:`local_modules_of_path`).
    """
    result = _extract(source, path, prefilter)
    local = _local_modules_of_path(path).union(local_modules)
    if local and result.modules:
        result = ImportResult(tuple(m for m in result.modules if m not in local), result.method, result.error)
    return result


def extract_many(items: Iterable[tuple[str | bytes | None, str | None, Iterable[str]]]) -> list[ImportResult]:
    """:func:`extract_imports` of each ``(source, path, local_modules)``: one task of a process pool."""
    return [extract_imports(source, path, local_modules=local) for source, path, local in items]


def local_modules_of_path(path: str | None) -> set[str]:
    """The project's own modules a saved-code path shows: its top folder (``src`` of ``src/train.py``,
    imported as ``from src.models import Net``) and a script's own name (``import train``)."""
    if not path:
        return set()
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return set()
    local = {parts[0]} if len(parts) > 1 else set()
    if parts[-1].endswith(".py"):
        local.add(parts[-1][: -len(".py")])
    return {name for name in local if name.isidentifier()}


# Paths recur (train.py, notebooks/experiments.ipynb): a worker computes each once.
_local_modules_of_path = functools.lru_cache(maxsize=4096)(lambda path: frozenset(local_modules_of_path(path)))


def _extract(source: str | bytes | None, path: str | None, prefilter: bool) -> ImportResult:
    try:
        if not source:
            return ImportResult((), "empty")
        size = _utf8_size(source)
        if size > MAX_SOURCE_BYTES:
            return ImportResult((), "skipped_too_large", f"{size} bytes > {MAX_SOURCE_BYTES}")
        text = _normalise(source)
        if _looks_like_notebook(text, path):
            return _extract_notebook(text, prefilter)
        if not text.strip():
            return ImportResult((), "empty")
        return _result(_extract_code(text, prefilter), "ast")
    except Exception as exc:  # noqa: BLE001 - a bug or a hostile input must cost one blob, not the batch
        return ImportResult((), "line_fallback", f"extractor failed: {type(exc).__name__}: {exc}")


def third_party(names: Iterable[str]) -> tuple[str, ...]:
    """Sorted unique top-level modules of absolute module names, without the standard library.

    ``tensorflow.keras...`` also counts ``keras`` (see ``_TF_KERAS``).
    """
    names = list(names)
    # A relative or empty name has the top "", which is no identifier.
    tops = {name.partition(".")[0] for name in names} - STDLIB_MODULES
    if "tensorflow" in tops and any(_TF_KERAS.match(name) for name in names):
        tops.add("keras")
    return tuple(sorted(t for t in tops if t.isidentifier() and not keyword.iskeyword(t)))


def _result(found: _Found, parsed_method: str) -> ImportResult:
    method = "line_fallback" if found.fallback else parsed_method
    names = found.names
    if found.tf_aliases & found.keras_bases:
        names = names | {"tensorflow.keras"}
    return ImportResult(third_party(names), method, found.fallback)


# --- decoding ---------------------------------------------------------------------------------------


def _utf8_size(source: str | bytes) -> int:
    if isinstance(source, bytes) or source.isascii():
        return len(source)
    return len(source.encode("utf-8", "surrogatepass"))


def _normalise(source: str | bytes) -> str:
    """Text ready for the parser: no BOM, no NUL, no lone surrogate, ``\\n`` line ends."""
    text = _decode(source) if isinstance(source, bytes) else source
    text = text.removeprefix("\ufeff")
    if "\x00" in text:  # a file truncated by a crash is padded with NULs; they are never Python
        text = text.replace("\x00", "")
    if "\r" in text:  # the scanner's statement ends and the per-line magics rely on "\n"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():
        # ast.parse re-encodes to UTF-8 and fails on surrogates (from surrogateescape'd input).
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")  # also accepts (and keeps) a UTF-8 BOM, removed by _normalise
    except UnicodeDecodeError:
        pass
    codec = _declared_encoding(data)
    if codec:
        return data.decode(codec, "replace")
    # Latin-1 maps every byte, so identifiers (ASCII) survive whatever the real 8-bit encoding was.
    return data.decode("latin-1")


def _declared_encoding(data: bytes) -> str | None:
    """The PEP 263 ``coding:`` cookie of the first two lines, if it names a known codec."""
    for line in data.split(b"\n", 2)[:2]:
        match = re.match(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", line)
        if match:
            try:
                return codecs.lookup(match.group(1).decode("ascii")).name
            except LookupError:
                return None
    return None


# --- scripts ----------------------------------------------------------------------------------------


def _extract_code(text: str, prefilter: bool) -> _Found:
    if prefilter or len(text) > FULL_PARSE_MAX_BYTES:
        return _scan(text)
    try:
        tree = _parse(text)
    except Exception as exc:  # noqa: BLE001 - SyntaxError, RecursionError, MemoryError, ValueError...
        found = _scan(text)
        found.fallback = _describe(exc)  # the whole file's error says more than a statement's
        return found
    found = _Found(set())
    _walk(tree, found)
    return found


def _scan(text: str) -> _Found:
    """The prefilter: import statements found by the scanner, each parsed by ``ast`` (regex if it fails)."""
    # `X.keras` is collected whatever X is: the import binding X to tensorflow may be in another cell.
    keras_bases = _keras_bases(text) if "keras" in text else set()
    if "import" not in text:  # the fast exit for most notebook cells and small modules
        return _Found(set(), keras_bases=keras_bases)
    statements: list[re.Match[str]] = []
    names: set[str] = set()
    # Every statement or dynamic import spells "import" at or after its start: past the last one, only
    # strings and comments are left to match, so the scan stops there (most files: after the header).
    last = text.rfind("import")
    for match in _SCAN.finditer(text):
        # The group that closed last names the alternative: None for a string or a comment.
        kind = match.lastgroup
        if kind is None:
            if match.start() > last:
                break
            continue
        if kind == "imp" or kind == "frm":
            statements.append(match)
        else:  # dynamic, dynamic2
            names.add(match[kind])
    found = _Found(names, keras_bases=keras_bases)
    if statements:
        _parse_statements(text, statements, found)
    return found


def _keras_bases(text: str) -> set[str]:
    """Names ``X`` of ``X.keras`` outside strings and comments (see ``_KERAS_ATTR``)."""
    bases = set()
    last = text.rfind("keras")
    taken = 0  # end of the last `X.keras` found: its `keras` cannot be the next one's X (`tf. keras. keras`)
    for match in _KERAS_ATTR.finditer(text):
        if match.lastgroup is None:  # a string or a comment; past the last "keras", nothing else is left
            if match.start() > last:
                break
            continue
        end = match.start()
        while end and text[end - 1] in " \t":
            end -= 1
        start = end
        while start and (text[start - 1].isalnum() or text[start - 1] == "_"):  # exactly what \w matches
            start -= 1
        if start < end and start >= taken and text[start] in _NAME_START and not (start and text[start - 1] == "."):
            bases.add(text[start:end])
            taken = match.end()
    return bases


def _parse_statements(text: str, statements: list[re.Match[str]], found: _Found) -> None:
    # Most statements are plainly valid (`import numpy as np`) and recur from file to file: read without
    # ast, from a cache. Only when one of them is not does ast parse the block, as below.
    # What a plainly valid statement adds, ast would add too (below, whichever way it goes).
    cached = _simple_cache.get
    for match in statements:
        statement = match.group(0)
        simple = cached(statement, _UNSEEN)
        if simple is _UNSEEN:
            simple = _simple_statement(statement)
        if simple is None:
            break
        found.names.update(simple[0])
        if simple[1]:
            found.tf_aliases.update(simple[1])
    else:
        return
    # One parse for all statements is cheapest; only if it fails is each one parsed on its own, so that
    # one malformed statement falls back to the regex alone.
    try:
        tree = _parse("\n".join(m.group(0) for m in statements))
    except Exception:  # noqa: BLE001 - narrowed down statement by statement below
        pass
    else:
        _walk(tree, found)
        return
    for match in statements:
        statement = match.group(0)
        try:
            _walk(_parse(statement), found)
        except Exception as exc:  # noqa: BLE001
            found.names.update(_names_by_regex(statement))
            if not found.fallback:
                found.fallback = _describe(exc, first_line=text.count("\n", 0, match.start()) + 1)


# What _walk finds in one import statement, without ast, when the statement is plainly valid: ASCII
# names (ast would NFKC-normalise others), single spaces or tabs, no backslash, a parenthesised name list
# (comments and line breaks allowed inside) only after `from`. A statement that is not fullmatched is left
# to ast; so is one naming a keyword (`import None`), checked in Python.
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_NAME}(?:\.{_NAME})*"
_AS = rf"(?:[ \t]+as[ \t]+{_NAME})?"
_PAREN_WS = r"(?:[ \t\n]|\#[^\n]*\n)*"  # inside parentheses: blanks, line breaks, whole-line comments
_SIMPLE_IMPORT = re.compile(rf"import[ \t]+(?P<items>{_DOTTED}{_AS}(?:[ \t]*,[ \t]*{_DOTTED}{_AS})*)[ \t]*")
_SIMPLE_FROM = re.compile(
    rf"""from[ \t]+(?P<dots>\.*)(?P<module>{_DOTTED})?(?<=[\w.])[ \t]+import
        (?: [ \t]+(?P<plain> \* | {_NAME}{_AS}(?:[ \t]*,[ \t]*{_NAME}{_AS})* )[ \t]*
          | [ \t]*\((?P<paren> {_PAREN_WS}{_NAME}{_AS}(?:{_PAREN_WS},{_PAREN_WS}{_NAME}{_AS})*(?:{_PAREN_WS},)?{_PAREN_WS} )\) )""",
    re.VERBOSE,
)
_PAREN_COMMENT = re.compile(r"#[^\n]*")
_SIMPLE_CACHE_MAX = 100_000  # distinct statements kept per process (a few tens of MB at most)
_simple_cache: dict[str, tuple[tuple[str, ...], tuple[str, ...]] | None] = {}
_UNSEEN = object()


def _simple_statement(statement: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(module names, names bound to tensorflow) of a plainly valid import statement, None for any other."""
    try:
        return _simple_cache[statement]
    except KeyError:
        pass
    result = _read_simple_statement(statement) if statement.isascii() and "\\" not in statement else None
    if len(_simple_cache) >= _SIMPLE_CACHE_MAX:
        _simple_cache.clear()
    _simple_cache[statement] = result
    return result


def _read_simple_statement(statement: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    if match := _SIMPLE_IMPORT.fullmatch(statement):
        names, tf_aliases = [], []
        for item in match["items"].split(","):
            dotted, *alias = item.split()  # "a.b" or "a.b as c"
            parts = dotted.split(".")
            if any(map(keyword.iskeyword, parts + alias[1:])):
                return None
            names.append(dotted)
            if parts[0] == "tensorflow":
                tf_aliases.append(alias[1] if alias else "tensorflow")
        return tuple(names), tuple(tf_aliases)
    if match := _SIMPLE_FROM.fullmatch(statement):
        module = match["module"]
        imported = match["plain"] if match["plain"] is not None else _PAREN_COMMENT.sub("", match["paren"])
        items = [item.split() for item in imported.split(",") if not item.isspace() and item]
        words = [word for item in items for word in item[::2]] + (module.split(".") if module else [])
        if any(map(keyword.iskeyword, words)):
            return None
        if match["dots"] or not module:  # relative: the project's own code
            return (), ()
        names = [module]
        if module.split(".", 1)[0] == "tensorflow":
            names += [f"{module}.keras" for item in items if item[0] == "keras"]
        return tuple(names), ()
    return None


def _parse(code: str) -> ast.Module:
    # User code is full of invalid escapes ("\d" in a non-raw string): the parser's warnings about them
    # would flood a worker's stderr, once per file, and tell the report nothing.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(code)


def _walk(tree: ast.AST, found: _Found) -> None:
    names = found.names
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names.add(alias.name)
                if alias.name.split(".", 1)[0] == "tensorflow":
                    # `import tensorflow.compat.v1 as tf` binds tf; without `as`, the top-level name.
                    found.tf_aliases.add(alias.asname or "tensorflow")
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:  # level > 0: relative, the project's own code
                names.add(node.module)
                if node.module.split(".", 1)[0] == "tensorflow":
                    names.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name == "keras")
        elif isinstance(node, ast.Call):
            dynamic = _dynamic_import(node)
            if dynamic:
                names.add(dynamic)
        elif isinstance(node, ast.Attribute) and node.attr == "keras" and isinstance(node.value, ast.Name):
            found.keras_bases.add(node.value.id)


def _dynamic_import(call: ast.Call) -> str | None:
    """``"x.y"`` of ``importlib.import_module("x.y")`` / ``__import__("x.y")``: a string literal only."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name not in _DYNAMIC_IMPORT_FUNCS:
        return None
    arg = call.args[0] if call.args else next((kw.value for kw in call.keywords if kw.arg == "name"), None)
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def _names_by_regex(statement: str) -> list[str]:
    """Module names of one import statement ``ast`` rejected (a typo, an unclosed parenthesis)."""
    statement = statement.replace("\\\n", " ")
    if statement.startswith("from"):
        match = re.match(r"from\s+([\w.]+)", statement)
        return [match.group(1)] if match else []
    parts = statement[len("import") :].split(",")
    return [m.group(1) for m in (re.match(r"\s*\(?\s*([\w.]+)", part) for part in parts) if m]


def _describe(exc: BaseException, first_line: int = 1) -> str:
    """``SyntaxError: msg (line N)``, N counted in the file even when only one statement was parsed."""
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f"{type(exc).__name__}: {exc.msg} (line {first_line + exc.lineno - 1})"
    return f"{type(exc).__name__}: {exc}"[:300]


# --- notebooks --------------------------------------------------------------------------------------


def _looks_like_notebook(text: str, path: str | None) -> bool:
    if path is not None:
        return path.lower().endswith(".ipynb")
    head = text.lstrip()[:1]
    return head == "{" and ('"cells"' in text or '"worksheets"' in text)


def _extract_notebook(text: str, prefilter: bool) -> ImportResult:
    try:
        cells = _plain_code_cells(text)
        if cells is None:
            cells = _code_cells(json.loads(text))
    except (ValueError, TypeError, AttributeError) as exc:
        if not text.lstrip().startswith("{"):  # named .ipynb but plain Python
            return _result(_extract_code(text, prefilter), "ast")
        return _salvage_notebook(text, exc, prefilter)
    if cells is None:  # JSON, but not a notebook (path was None): read it as Python
        return _result(_extract_code(text, prefilter), "ast")
    found = _Found(set())
    any_code = False
    for index, cell in enumerate(cells):
        code = _python_of_cell(cell)
        if not code or code.isspace():
            continue
        any_code = True
        if prefilter and "import" not in code and "keras" not in code:
            continue  # most cells: the scanner would find nothing in them
        # Cell by cell, as Jupyter compiles them: a broken cell falls back alone.
        cell_found = _extract_code(code, prefilter)
        if cell_found.fallback and not found.fallback:
            found.fallback = f"code cell {index}: {cell_found.fallback}"
        found.add(cell_found)  # an alias bound in one cell is used in the next
    if not any_code:
        return ImportResult((), "empty")
    return _result(found, "notebook_ast")


def _plain_code_cells(text: str) -> list[str] | None:
    """The code cells' sources of a plainly shaped nbformat 4 notebook, read by orjson (5x faster than json);
    None for anything else, which ``json`` and ``_code_cells`` then read as before.

    orjson and json differ only on what this refuses: invalid JSON (NaN, lone surrogates), and numbers
    (orjson turns integers beyond 64 bits into floats), which only matter where ``str()`` would show them:
    a source that is not a string or a list of strings.
    """
    try:
        notebook = orjson.loads(text)
    except Exception:  # noqa: BLE001 - json decides, and words the error
        return None
    cells = notebook.get("cells") if type(notebook) is dict else None
    if type(cells) is not list:
        return None
    sources = []
    for cell in cells:
        if type(cell) is dict and cell.get("cell_type") == "code":
            source = cell.get("source") or ""
            if type(source) is str:
                sources.append(source)
            elif type(source) is list:
                try:
                    sources.append("".join(source))
                except TypeError:  # an item that is not a string
                    return None
            else:
                return None
    return sources


def _code_cells(notebook: object) -> list[str] | None:
    """Source of each code cell (nbformat 4 ``cells[].source``, nbformat 3 ``worksheets[].cells[].input``)."""
    if not isinstance(notebook, dict):
        return None
    if "cells" in notebook:
        cells, key = notebook["cells"], "source"
    elif "worksheets" in notebook:
        cells, key = [c for ws in notebook["worksheets"] for c in ws.get("cells", [])], "input"
    else:
        return None
    sources = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get(key) or ""
            sources.append("".join(map(str, source)) if isinstance(source, list) else str(source))
    return sources


def _python_of_cell(cell: str) -> str | None:
    """The cell as Python: magics and shell lines become ``pass``; None for a cell in another language."""
    if "\r" in cell:
        cell = cell.replace("\r\n", "\n").replace("\r", "\n")
    stripped = cell.lstrip() if "%%" in cell else ""  # no copy of most cells
    if stripped.startswith("%%"):
        first, _, rest = stripped.partition("\n")
        magic, _, argument = first[2:].partition(" ")
        target = (argument.split() or [""])[-1]
        # %%writefile train.py writes code the notebook then runs; %%writefile requirements.txt does not.
        if magic in _FOREIGN_CELL_MAGICS or (magic in ("writefile", "file") and not target.endswith(".py")):
            return None
        cell = rest
    # Both patterns need one of `%!?`: most cells have none and skip the line-by-line regexes.
    if "%" in cell:
        # `%time import x` runs the statement: keep it, without the magic.
        cell = _STATEMENT_MAGIC.sub(lambda m: m.group(1), cell)
    elif "!" not in cell and "?" not in cell:
        return cell
    # `pass` rather than nothing keeps an indented block that only held a magic syntactically valid.
    return _MAGIC_LINE.sub(lambda m: m.group(1) + "pass", cell)


def _salvage_notebook(text: str, exc: Exception, prefilter: bool) -> ImportResult:
    """A truncated or mangled notebook: its JSON string literals that read as import lines, as code.

    Only import-looking lines are kept: the literals also hold markdown prose and outputs, where
    "we import the data" must not count.
    """
    lines = []
    for literal in _JSON_STRING.finditer(text):
        try:
            line = json.loads(literal.group(0))
        except ValueError:
            continue
        if _IMPORT_LINE.match(line):
            lines.append(line.strip())
    found = _extract_code("\n".join(lines), prefilter)
    found.fallback = f"invalid notebook JSON: {exc}"[:300]
    return _result(found, "line_fallback")
