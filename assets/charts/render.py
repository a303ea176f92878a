"""A chart's files (Vega-Lite spec, PNG, offline HTML, the data it draws as CSV, and what the page
needs to show it as JSON), and the one Jinja set-up of every HTML file (charts and report pages).

Values from data (a profile's industry, a library name) reach HTML in three contexts, each escaped
for its own: text and attributes (Jinja autoescape), JSON inside a ``<script>`` element
(``script_json``), and inlined JavaScript (``inline_script``).
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import altair as alt
import jinja2
import pandas as pd
import vl_convert as vlc
from markupsafe import Markup

VENDOR_JS = "vega-bundle.js"
TEMPLATES = Path(__file__).resolve().parent / "templates"
PNG_SCALE = 2  # pixels per CSS pixel: sharp when printed


def script_json(obj: object) -> Markup:
    """JSON safe inside <script type="application/json">: no "</script>", "<!--" or "&" can end or
    bend the element (the escapes are still valid JSON)."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                  .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def inline_script(js: str) -> Markup:
    """JavaScript safe to inline: "</script" inside it would close the element early."""
    return Markup(re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE))


@cache
def template_environment(*folders: Path) -> jinja2.Environment:
    """Jinja over ``folders`` and the charts' templates (the shared embedding script), autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*map(str, folders), str(TEMPLATES)]),
        autoescape=True,  # every {{ }} is HTML-escaped unless it went through script_json/inline_script
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = lambda x: f"{int(round(x)):,}"
    env.globals["script_json"] = script_json
    return env


@dataclass(frozen=True)
class ChartFiles:
    """The files of one chart for one quarter: ``<folder>/<name>.<kind>``."""

    folder: Path
    name: str

    def path(self, kind: str) -> Path:
        return self.folder / f"{self.name}.{kind}"

    @property
    def html(self) -> Path:
        return self.path("html")

    @property
    def png(self) -> Path:
        return self.path("png")

    @property
    def spec(self) -> Path:
        return self.path("vl.json")

    @property
    def csv(self) -> Path:
        return self.path("csv")

    @property
    def meta(self) -> Path:
        return self.path("json")

    def png_data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png.read_bytes()).decode()


def vendor_bundle(outputs: Path) -> Path:
    """The Vega/Vega-Lite/vega-embed JavaScript, written once per outputs folder: the HTML opens
    offline (no CDN can be reached here, nor by an offline reader)."""
    path = outputs / "vendor" / VENDOR_JS
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(vlc.javascript_bundle(), encoding="utf-8")
        tmp.replace(path)
    return path


def drawn_data(spec: dict) -> pd.DataFrame:
    """The rows the chart draws: its largest inline dataset (a reference line has its own, tiny one)."""
    datasets = list(spec.get("datasets", {}).values())
    if not datasets and isinstance(spec.get("data"), dict):
        datasets = [spec["data"].get("values", [])]
    return pd.DataFrame(max(datasets, key=len) if datasets else [])


def _write(path: Path, data: str | bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # a reader never sees half a file
    tmp.write_bytes(data) if isinstance(data, bytes) else tmp.write_text(data, encoding="utf-8")
    tmp.replace(path)


def save_chart(chart: alt.TopLevelMixin | None, files: ChartFiles, outputs: Path, meta: dict) -> None:
    """Write the chart's spec, picture, HTML and data (or, with no chart, only ``meta``: a page
    then says why there is no figure). ``meta`` is what the report page shows beside it."""
    files.folder.mkdir(parents=True, exist_ok=True)
    for kind in ("html", "png", "vl.json", "csv"):
        files.path(kind).unlink(missing_ok=True)  # no stale picture of an earlier run
    if chart is not None:
        spec = chart.to_dict()
        _write(files.spec, json.dumps(spec, indent=1, sort_keys=True))
        _write(files.png, vlc.vegalite_to_png(spec, scale=PNG_SCALE))
        _write(files.csv, drawn_data(spec).to_csv(index=False))
        vendor = Path(os.path.relpath(vendor_bundle(outputs), files.folder)).as_posix()
        html = template_environment().get_template("chart.html.j2").render(
            title=meta["title"], caption=meta["caption"], vendor=vendor, spec=spec, csv=files.csv.name)
        _write(files.html, html)
    _write(files.meta, json.dumps({**meta, "drawn": chart is not None}, indent=1, sort_keys=True))
