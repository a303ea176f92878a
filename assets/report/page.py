"""Lay out and render the report pages from the chart assets' files: the page of a year, the view
of a quarter (its quarterly analyses) and the index of every page.

Nothing here knows a particular chart: a chart is a ``PageChart`` read from its files (spec,
picture, drawn data, caption); its section is one of ``SECTIONS`` (assets/charts/registry.py),
whose order is the page's. The HTML is in ``templates/`` (Jinja, autoescaped: titles, captions
and data values are text, specs go through ``script_json``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from assets.analysts.publish import mart_docs_fragment
from assets.charts.registry import OVERVIEW, SECTIONS, Section
from assets.charts.render import PNG_SCALE, ChartFiles, inline_script, template_environment
from stateofml.quarters import Quarter

from .paths import page_name, quarter_page_name

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class PageChart:
    name: str
    section: str  # a Section.key
    title: str
    caption: str
    marts: tuple[str, ...]
    population: str = ""
    subtitle: str = ""
    few_users: str = ""
    finding: str | None = None
    vega_lite: dict | None = None  # None: no rows up to the page's quarter (the caption says so)
    png: bytes | None = None
    csv: str | None = None  # the data the chart draws
    png_scale: float = PNG_SCALE  # pixels per CSS pixel of the picture (2: sharp in print)
    key_numbers: dict = field(default_factory=dict)

    @classmethod
    def from_files(cls, files: ChartFiles) -> PageChart:
        meta = json.loads(files.meta.read_text(encoding="utf-8"))
        drawn = meta["drawn"]
        return cls(
            name=meta["name"], section=meta["section"], title=meta["title"], caption=meta["caption"],
            marts=tuple(meta["marts"]), population=meta["population"], subtitle=meta.get("subtitle", ""),
            few_users=meta["few_users"], finding=meta["finding"], key_numbers=meta["key_numbers"],
            vega_lite=json.loads(files.spec.read_text(encoding="utf-8")) if drawn else None,
            png=files.png.read_bytes() if drawn else None,
            csv=files.csv.read_text(encoding="utf-8") if drawn else None,
        )

    @property
    def drawn(self) -> bool:
        return self.vega_lite is not None

    @property
    def png_width(self) -> int:
        """The picture's width in CSS pixels (a PNG's width is bytes 16-20 of its IHDR chunk)."""
        return round(int.from_bytes(self.png[16:20], "big") / self.png_scale)

    @property
    def anchor(self) -> str:
        return "chart-" + self.name.replace("_", "-")

    @property
    def png_data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def csv_data_uri(self) -> str:
        return "data:text/csv;charset=utf-8;base64," + base64.b64encode(self.csv.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float
    previous: float | None = None

    @property
    def change(self) -> str:
        """ "+12%", "new", or "" without a previous figure."""
        if self.previous is None:
            return ""
        return f"{(self.value / self.previous - 1) * 100:+.0f}%" if self.previous else "new"


@dataclass(frozen=True)
class Headline:
    """The headline figures of the page's period, each with its change on the period before."""

    period: str  # "2022", "2023 (2 of 4 quarters)", "2022 Q3"
    figures: tuple[Figure, ...]
    previous_period: str | None = None
    quarters_covered: int | None = None  # a year's loaded quarters

    LABELS = {"active_users": "active users", "countries": "countries", "runs": "runs", "training_hours": "training hours"}

    @classmethod
    def from_numbers(cls, numbers: dict, period_key: str) -> Headline:
        """From a chart's key numbers (``headline_by_year`` or ``activity_by_quarter``): this period's
        figures and, under ``previous_``, the period before's."""
        has_prev = f"previous_{period_key}" in numbers
        figures = tuple(
            Figure(k, label, numbers[k], numbers.get(f"previous_{k}") if has_prev else None)
            for k, label in cls.LABELS.items() if k in numbers
        )
        label = numbers.get(f"{period_key}_label", numbers[period_key])
        prev = numbers.get(f"previous_{period_key}_label", numbers.get(f"previous_{period_key}")) if has_prev else None
        return cls(str(label), figures, str(prev) if prev is not None else None, numbers.get("quarters_covered"))


@dataclass(frozen=True)
class PageSection:
    section: Section
    charts: tuple[PageChart, ...]

    @property
    def key(self) -> str:
        return self.section.key


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class Nav:
    """Links to the other pages: every year's and every quarter's that exists, and the index."""

    years: tuple[Link, ...] = ()
    quarters: tuple[Link, ...] = ()
    index: str = "index.html"  # "": no link (the open quarter's preview links to no report page)


def layout_sections(charts: Sequence[PageChart]) -> list[PageSection]:
    """Sections in ``SECTIONS`` order, charts in their given order; the overview (it holds the
    headline) and the method notes always, other sections when they have charts."""
    known = {s.key for s in SECTIONS}
    unknown = sorted({c.section for c in charts} - known)
    if unknown:
        raise ValueError(f"charts in sections that SECTIONS does not declare: {unknown}")
    sections = [PageSection(s, tuple(c for c in charts if c.section == s.key)) for s in SECTIONS]
    return [s for s in sections if s.charts or s.key in (OVERVIEW.key, "method-notes")]


def period_label(as_of: Quarter) -> str:
    """The part of ``as_of``'s year a page covers: "2022 (full year)", "2022 (Q1–Q3 so far)"."""
    if as_of.q == 4:
        return f"{as_of.year} (full year)"
    span = "Q1" if as_of.q == 1 else f"Q1\u2013Q{as_of.q}"
    return f"{as_of.year} ({span} so far)"


def coverage_note(as_of: Quarter, headline: Headline | None) -> str:
    """Said beside a year's headline when the loaded quarters are not the page's quarters."""
    if headline is None or headline.quarters_covered is None:
        return ""
    n = headline.quarters_covered
    if n < as_of.q:
        of = f"of {as_of.q}" + (" so far" if as_of.q < 4 else "")
        return f"Figures from the {n} quarter{'s' if n != 1 else ''} of {as_of.year} with data loaded, {of}."
    if n > as_of.q:
        return (f"Yearly figures include {n - as_of.q} quarter{'s' if n - as_of.q != 1 else ''} "
                f"loaded after {as_of.label}: this snapshot was rebuilt later.")
    return ""


def findings(charts: Sequence[PageChart]) -> list[tuple[PageChart, str]]:
    """Each chart's key finding, in page order (a chart without data or finding has none)."""
    return [(c, c.finding) for s in layout_sections(charts) for c in s.charts if c.finding]


def render_page(
    *,
    as_of: Quarter,
    charts: Sequence[PageChart],
    headline: Headline | None,
    source: Sequence[str],
    nav: Nav,
    vega_js: str,
    generated_at: datetime,
    font: str,
    palette: Sequence[str],
    few_users: int,
    quarter_view: bool = False,
    page_title: str | None = None,
    page_period: str | None = None,
    page_file: str | None = None,
    notice: str = "",
    docs_site: str | None = None,
) -> str:
    """The page of ``as_of``'s year as of the end of ``as_of`` (or, ``quarter_view``, the page of the
    quarter ``as_of`` with its quarterly analyses): one self-contained HTML string. ``page_title``,
    ``page_period`` and ``page_file`` replace the page's own; ``notice`` is said under the title (the
    open quarter's preview, assets/report/preview.py). ``docs_site``: the relative link to the dbt
    docs site, whose page of each mart a chart then links (its name alone without it)."""
    if quarter_view:
        title, period = f"The State of ML, {as_of.label}", f"{as_of.label} (quarterly analyses)"
        file_name, coverage = quarter_page_name(as_of), ""
    else:
        title, period = f"The State of ML {as_of.year}", period_label(as_of)
        file_name, coverage = page_name(as_of.year), coverage_note(as_of, headline)
    title, period, file_name = page_title or title, page_period or period, page_file or file_name
    return template_environment(TEMPLATES).get_template("page.html.j2").render(
        title=title,
        notice=notice,
        year=as_of.year,
        as_of=as_of,
        period=period,
        quarter_view=quarter_view,
        coverage_note=coverage,
        sections=layout_sections(charts),
        findings=findings(charts),
        headline=headline,
        source=list(source),
        nav=nav,
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        file_name=file_name,
        font=font,
        accent=palette[0],
        few_users=few_users,
        vega_js=inline_script(vega_js),
        mart_href=(lambda mart: docs_site + mart_docs_fragment(mart)) if docs_site else None,
    )


def render_index(*, years: Sequence[Link], quarters: Sequence[Link], source: Sequence[str], generated_at: datetime,
                 font: str, palette: Sequence[str]) -> str:
    """The list of every year's page and every quarter's view."""
    return template_environment(TEMPLATES).get_template("index.html.j2").render(
        years=list(years), quarters=list(quarters), source=list(source),
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M UTC"), font=font, accent=palette[0])
