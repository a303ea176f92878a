"""Save a chart as PNG, HTML (offline: scripts from a local vendor file) and its Vega-Lite spec."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import vl_convert as vlc

VENDOR_JS = "vega-bundle.js"

_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script src="{vendor}"></script></head>
<body><div id="chart"></div>
<script>vegaEmbed("#chart", {spec}, {{"actions": {{"export": true, "source": false}}}});</script>
</body></html>
"""


@dataclass(frozen=True)
class ChartFiles:
    html: Path
    png: Path
    spec: Path

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


def save_chart(chart: alt.TopLevelMixin, folder: Path, name: str, outputs: Path) -> ChartFiles:
    folder.mkdir(parents=True, exist_ok=True)
    spec = chart.to_dict()
    files = ChartFiles(html=folder / f"{name}.html", png=folder / f"{name}.png", spec=folder / f"{name}.vl.json")
    files.spec.write_text(json.dumps(spec, indent=1, sort_keys=True), encoding="utf-8")
    files.png.write_bytes(vlc.vegalite_to_png(spec, scale=2))
    vendor = Path(os.path.relpath(vendor_bundle(outputs), folder))
    title = spec.get("title", {}).get("text", name) if isinstance(spec.get("title"), dict) else spec.get("title", name)
    files.html.write_text(_HTML.format(title=title, vendor=vendor.as_posix(), spec=json.dumps(spec)), encoding="utf-8")
    return files

