"""Lay out and render the report page: sections in the talk's order, one figure per chart.

Nothing here knows a particular chart: a chart is a ``PageChart`` (title, caption, Vega-Lite
spec, PNG), and its section comes from its ``ChartSpec.section``. The HTML is in
``templates/`` (Jinja, autoescaped: titles and captions come from data).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from stateofml.quarters import Quarter

from .paths import page_name

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class SectionKind:
    key: str
    keywords: tuple[str, ...]  # matched against the lower-cased ChartSpec.section
    intro: str


# The talk's order. A section name matching none of these is a further analysis: it comes after
# hardware, where the talk lists what it left for future reports. Method notes close the page.
SECTION_KINDS = (
    SectionKind("overview", ("overview", "headline"),
                "The year at a glance. Every comparison in this report can be read three ways: "
                "active users, runs, and training hours."),
    SectionKind("demographics", ("demograph",),
                "Who uses the platform: where active users are, what they do (academic, corporate, "
                "personal), and the industries of corporate users."),
    SectionKind("frameworks", ("framework",),
                "The core frameworks (PyTorch, TensorFlow), the higher-level ones (Keras, Lightning) "
                "and boosted trees, by active users, runs and training hours."),
    SectionKind("libraries", ("librar",),
                "Libraries beyond the large frameworks: the fastest growers quarter over quarter, "
                "and academic versus corporate use."),
    SectionKind("hardware", ("hardware", "gpu", "processor"),
                "What runs train on: GPU makers and models, and how many GPUs a run uses."),
    SectionKind("further", ("future", "further"),
                "Analyses the first report left for later: CPUs, TPUs and IPUs; the clouds (or "
                "on-premise machines) runs train on; use cases and media types."),
)
_RANK = {k.key: i for i, k in enumerate(SECTION_KINDS)}
_INTRO = {k.key: k.intro for k in SECTION_KINDS}
OVERVIEW_TITLE = "Overview"


def section_kind(section: str) -> str:
    name = section.lower()
    for kind in SECTION_KINDS:
        if any(word in name for word in kind.keywords):
            return kind.key
    return "further"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _script_json(obj: object) -> str:
    """JSON safe inside <script type="application/json">: no "</script>", "<!--" or "&" can end or
    bend the element (the escapes are still valid JSON)."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def inline_script(js: str) -> str:
    """JavaScript safe to inline: "</script" inside it would close the element early."""
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)


@dataclass(frozen=True)
class PageChart:
    name: str
    section: str
    title: str
    caption: str
    marts: tuple[str, ...]
    order: int
    vega_lite: dict | None  # None: the chart's marts hold no rows up to the page's quarter
    png: bytes | None
    png_scale: float = 1.0  # pixels per CSS pixel of the picture (2: sharp in print)

    @property
    def drawn(self) -> bool:
        return self.vega_lite is not None

    @property
    def png_width(self) -> int:
        """The picture's width in CSS pixels (a PNG's width is bytes 16-20 of its IHDR chunk)."""
        return round(int.from_bytes(self.png[16:20], "big") / self.png_scale)

    @property
    def anchor(self) -> str:
        return "chart-" + slug(self.name)

    @property
    def png_data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def spec_json(self) -> str:
        return _script_json(self.vega_lite)


@dataclass(frozen=True)
class Headline:
    """One row of marts.headline_by_year."""

    year: int
    quarters_covered: int
    active_users: int
    countries: int
    runs: int
    training_hours: float

    def figures(self) -> list[tuple[str, str, float]]:
        """(key, label, value) in the talk's order."""
        return [
            ("active_users", "active users", self.active_users),
            ("countries", "countries", self.countries),
            ("runs", "runs", self.runs),
            ("training_hours", "training hours", self.training_hours),
        ]


@dataclass(frozen=True)
class Section:
    kind: str
    title: str
    anchor: str
    intro: str
    charts: tuple[PageChart, ...]


def layout_sections(charts: Iterable[PageChart]) -> list[Section]:
    """Sections in the talk's order, charts by ``order`` (then name) inside each.

    The overview always exists (it holds the headline) and takes every chart of its kind;
    other sections are one per ``ChartSpec.section`` name. Two names of one kind (or two
    further analyses) keep the order of their first chart. A kind's intro is shown once."""
    groups: dict[str, list[PageChart]] = {OVERVIEW_TITLE: []}
    for chart in charts:
        title = OVERVIEW_TITLE if section_kind(chart.section) == "overview" else chart.section
        groups.setdefault(title, []).append(chart)
    for members in groups.values():
        members.sort(key=lambda c: (c.order, c.name))

    def rank(item: tuple[str, list[PageChart]]):
        title, members = item
        kind = "overview" if title == OVERVIEW_TITLE else section_kind(title)
        return (_RANK[kind], members[0].order if members else float("-inf"), title)

    sections, introduced, anchors = [], set(), set()
    for title, members in sorted(groups.items(), key=rank):
        kind = "overview" if title == OVERVIEW_TITLE else section_kind(title)
        intro = _INTRO[kind] if kind not in introduced else ""
        introduced.add(kind)
        anchor = base = slug(title)
        n = 1
        while anchor in anchors or anchor == "method-notes":
            n += 1
            anchor = f"{base}-{n}"
        anchors.add(anchor)
        sections.append(Section(kind, title, anchor, intro, tuple(members)))
    return sections


def period_label(as_of: Quarter) -> str:
    """The part of ``as_of``'s year a page covers: "2022 (full year)", "2022 (Q1–Q3 so far)"."""
    if as_of.q == 4:
        return f"{as_of.year} (full year)"
    span = "Q1" if as_of.q == 1 else f"Q1\u2013Q{as_of.q}"
    return f"{as_of.year} ({span} so far)"


def coverage_note(as_of: Quarter, headline: Headline | None) -> str:
    """Said beside the headline when the loaded quarters are not the page's quarters."""
    if headline is None:
        return ""
    n = headline.quarters_covered
    if n < as_of.q:
        of = f"of {as_of.q}" + (" so far" if as_of.q < 4 else "")
        return f"Figures from the {n} quarter{'s' if n != 1 else ''} of {as_of.year} with data loaded, {of}."
    if n > as_of.q:
        return (f"Yearly figures include {n - as_of.q} quarter{'s' if n - as_of.q != 1 else ''} "
                f"loaded after {as_of.label}: this snapshot was rebuilt later.")
    return ""


def fmt_number(x: float) -> str:
    return f"{int(round(x)):,}"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every {{ }} is HTML-escaped unless marked safe below
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = fmt_number
    return env


def render_page(
    *,
    as_of: Quarter,
    charts: Sequence[PageChart],
    headline: Headline | None,
    headline_mart: str,
    vega_js: str,
    generated_at: datetime,
    font: str,
    palette: Sequence[str],
) -> str:
    """The page of ``as_of``'s year as of the end of ``as_of``: one self-contained HTML string."""
    if headline is not None and headline.year != as_of.year:
        raise ValueError(f"headline of {headline.year} on the page of {as_of.year}")
    return _environment().get_template("page.html.j2").render(
        year=as_of.year,
        as_of=as_of,
        period=period_label(as_of),
        coverage_note=coverage_note(as_of, headline),
        sections=layout_sections(charts),
        headline=headline,
        headline_mart=headline_mart,
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        file_name=page_name(as_of.year),
        font=font,
        accent=palette[0],
        # The only unescaped inserts: our own JSON and the vendored JavaScript, both made safe
        # for inlining above.
        vega_js=Markup(inline_script(vega_js)),
        spec_json=lambda chart: Markup(chart.spec_json),
    )
