"""The one visual style of every chart and of the report page."""

from __future__ import annotations

import altair as alt

FONT = "Helvetica, Arial, sans-serif"
# Colour-blind-safe categorical palette (Okabe-Ito), in the order series are usually ranked; greys
# are kept for residual series ("Other", "Unknown"), so no two series of a chart share a colour.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
GREYS = ["#999999", "#cccccc", "#666666"]
WIDTH, HEIGHT = 640, 320
LABEL_LIMIT = 160  # pixels of a category label on an axis; longer ones end in "…" (the tooltip has them whole)


@alt.theme.register("stateofml", enable=True)
def stateofml_theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "title": {"fontSize": 16, "anchor": "start", "subtitleColor": "#555", "subtitleFontSize": 12},
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#eee", "domainColor": "#888"},
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom", "direction": "horizontal",
                       "columns": 4, "labelLimit": 150},
            "axisY": {"labelLimit": LABEL_LIMIT},
            "range": {"category": PALETTE},
            "background": "white",
        }
    }


def use_theme() -> None:
    """Enable the style (module import registers it; call this where charts are made)."""
    alt.theme.enable("stateofml")
