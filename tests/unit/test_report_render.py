"""The report page's layout and rendering, without a warehouse: escaping, order, labels, paths."""

from __future__ import annotations

import json
import re
import struct
import zlib
from datetime import datetime, timezone

import pytest

from assets.report.page import Headline, PageChart, inline_script, layout_sections, period_label, render_page
from assets.report.paths import page_path, publish, snapshot_path
from stateofml.cli import main
from stateofml.quarters import Quarter, quarter_range

EVIL = '<script>alert("x")</script>'


def png(width: int, height: int) -> bytes:
    """A valid, blank grayscale PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def chart(name: str, section: str, order: int, title: str | None = None, caption: str = "a caption",
          spec: dict | None = None) -> PageChart:
    return PageChart(name=name, section=section, title=title or f"Title of {name}", caption=caption,
                     marts=(f"mart_{name}",), order=order,
                     vega_lite=spec or {"mark": "bar", "data": {"values": [{"name": name}]}},
                     png=png(8, 4), png_scale=2)


def render(charts, as_of=Quarter(2022, 3), headline=None, vega_js="window.vegaEmbed = function () {};"):
    return render_page(as_of=as_of, charts=charts, headline=headline, headline_mart="headline_by_year",
                       vega_js=vega_js, generated_at=datetime(2023, 1, 2, 3, 4, tzinfo=timezone.utc),
                       font="Helvetica, Arial, sans-serif", palette=["#0072B2", "#E69F00"])


def spec_blocks(html: str) -> dict[str, dict]:
    """chart name -> the Vega-Lite spec embedded in its figure."""
    figures = re.findall(r'<figure class="chart" id="[^"]+" data-chart="([^"]+)">(.*?)</figure>', html, re.S)
    blocks = {name: re.search(r'<script type="application/json" class="vl-spec">(.*?)</script>', body, re.S)
              for name, body in figures}
    return {name: json.loads(m.group(1)) for name, m in blocks.items() if m}


def test_text_from_data_is_escaped_everywhere():
    spec = {"title": "</script><script>alert(1)</script>", "mark": "point", "note": "a & b <!-- c"}
    html = render([chart("evil", f"Demographics {EVIL}", 1, title=EVIL, caption=f"US & CN {EVIL}", spec=spec)])
    assert EVIL not in html and "<script>alert" not in html and "<!-- c" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # title, caption, section, alt, TOC
    assert "US &amp; CN" in html
    # The spec survives the trip through its <script> element unchanged.
    assert spec_blocks(html) == {"evil": spec}
    # Exactly our two <script> elements (vendor JS, embedding code) plus one JSON block per chart.
    assert len(re.findall(r"<script\b", html)) == 3


def test_sections_follow_the_talk_and_charts_their_order():
    charts = [
        chart("gpus", "Hardware", 1), chart("clouds", "Clouds", 1), chart("torch_tf", "Frameworks", 2),
        chart("keras_lightning", "Frameworks", 1), chart("libs", "Libraries", 1),
        chart("industries", "Demographics", 3), chart("countries", "Demographics", 1),
        chart("growth", "Headline", 5), chart("tpus", "Future work", 0),
    ]
    sections = layout_sections(charts)
    assert [(s.title, [c.name for c in s.charts]) for s in sections] == [
        ("Overview", ["growth"]),
        ("Demographics", ["countries", "industries"]),
        ("Frameworks", ["keras_lightning", "torch_tf"]),
        ("Libraries", ["libs"]),
        ("Hardware", ["gpus"]),
        ("Future work", ["tpus"]),  # both further analyses, by their first chart's order
        ("Clouds", ["clouds"]),
    ]
    assert sections[5].intro and not sections[6].intro  # a kind's intro once

    html = render(charts)
    headings = re.findall(r"<h2>([^<]+)</h2>", html)
    assert headings == ["Contents", "Overview", "Demographics", "Frameworks", "Libraries", "Hardware",
                        "Future work", "Clouds", "Method notes", "Data lineage"]
    figure_order = re.findall(r'data-chart="([^"]+)"', html)
    assert figure_order == ["growth", "countries", "industries", "keras_lightning", "torch_tf", "libs",
                            "gpus", "tpus", "clouds"]
    # The table of contents links every figure, in the page's order.
    toc = html[html.index('<nav class="toc"'):html.index("</nav>")]
    assert re.findall(r'href="#chart-([^"]+)"', toc) == [n.replace("_", "-") for n in figure_order]


def test_an_empty_report_still_has_overview_and_notes():
    html = render([])
    assert re.findall(r"<h2>([^<]+)</h2>", html) == ["Contents", "Overview", "Method notes", "Data lineage"]
    assert "No headline figures for 2022 yet" in html


@pytest.mark.parametrize("as_of, label", [
    (Quarter(2022, 1), "2022 (Q1 so far)"),
    (Quarter(2022, 3), "2022 (Q1\u2013Q3 so far)"),
    (Quarter(2021, 4), "2021 (full year)"),
])
def test_period_label(as_of, label):
    assert period_label(as_of) == label
    html = render([], as_of=as_of)
    assert f'<p class="period">{label} &middot; data through {as_of.label}</p>' in html


def test_headline_figures_and_coverage():
    head = Headline(year=2022, quarters_covered=2, active_users=201234, countries=194, runs=124_999_876,
                    training_hours=1234.56)
    html = render([], as_of=Quarter(2022, 3), headline=head)
    figures = dict(re.findall(r'<data value="([^"]+)" data-headline="(\w+)">', html)[i][::-1] for i in range(4))
    assert figures == {"active_users": "201234", "countries": "194", "runs": "124999876", "training_hours": "1234.56"}
    assert ">201,234<" in html and ">124,999,876<" in html and ">1,235<" in html
    assert "Figures from the 2 quarters of 2022 with data loaded, of 3 so far." in html
    full = render([], as_of=Quarter(2022, 2), headline=head)
    assert "Figures from" not in full and "loaded after" not in full
    assert "of 2022 with data loaded, of 4." in render([], as_of=Quarter(2022, 4), headline=head)
    assert "1 quarter loaded after 2022 Q1" in render([], as_of=Quarter(2022, 1), headline=head)
    with pytest.raises(ValueError):
        render([], as_of=Quarter(2021, 4), headline=head)


def test_lineage_lists_each_chart_and_its_marts():
    html = render([chart("a", "Hardware", 1), chart("b", "Demographics", 1)])
    lineage = html[html.index('<div class="lineage">'):]
    assert "<code>marts.headline_by_year</code>" in lineage
    assert lineage.index("marts.mart_b") < lineage.index("marts.mart_a")
    assert "Generated 2023-01-02 03:04 UTC" in html


def test_vendor_script_cannot_close_its_element():
    js = 'var s = "</script><p>not html</p>"; var t = "</SCRIPT>";'
    assert "</script" not in inline_script(js).lower()
    html = render([], vega_js=js)
    assert html.lower().count("</script>") == 2


def test_picture_width_is_in_css_pixels():
    c = chart("a", "Hardware", 1)
    assert c.png_width == 4  # 8 pixels at scale 2
    assert 'width="4"' in render([c])


def test_year_page_is_the_latest_snapshot_of_its_year(tmp_path):
    out = tmp_path / "reports"
    q4, q3 = Quarter(2022, 4), Quarter(2022, 3)
    assert publish(out, q4, "Q4 view") == (snapshot_path(out, q4), page_path(out, 2022))
    publish(out, q3, "Q3 view")  # an older quarter re-run later
    assert page_path(out, 2022).read_text() == "Q4 view"
    assert snapshot_path(out, q3).read_text() == "Q3 view"
    publish(out, q4, "Q4 again")
    assert page_path(out, 2022).read_text() == "Q4 again"
    publish(out, Quarter(2021, 2), "2021 Q2")
    assert page_path(out, 2021).read_text() == "2021 Q2" and page_path(out, 2022).read_text() == "Q4 again"
    assert snapshot_path(out, q4) == out / "2022Q4" / "report" / "state_of_ml_2022.html"
    assert not list(out.rglob(".*"))  # no temporary files left behind


def test_a_range_writes_one_page_per_year_as_of_its_last_quarter():
    from assets.report.assets import pages_of_window

    assert pages_of_window(quarter_range(Quarter(2020, 3), Quarter(2022, 2))) == [
        Quarter(2020, 4), Quarter(2021, 4), Quarter(2022, 2)]
    assert pages_of_window([Quarter(2022, 3)]) == [Quarter(2022, 3)]


def test_cli_report_prints_the_page_or_says_how_to_build_it(tmp_path, capsys, monkeypatch):
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "report", "--year", "2021"]) == 2
    err = capsys.readouterr().err
    assert "the 2021 report page has not been built yet" in err
    assert f"stateofml --data-dir {data} materialize 2021Q1:2021Q4" in err

    page = page_path(data / "reports", 2021)
    page.parent.mkdir(parents=True)
    page.write_text("<!doctype html>")
    opened = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    assert main(["--data-dir", str(data), "report", "--year", "2021"]) == 0
    assert capsys.readouterr().out.strip() == str(page) and opened == []
    assert main(["--data-dir", str(data), "report", "--year", "2021", "--open"]) == 0
    assert opened == [page.as_uri()]

    assert main(["--data-dir", str(data), "report", "--year", "2019"]) == 2
    assert "no State of ML report for 2019" in capsys.readouterr().err


def test_a_chart_without_rows_says_so_and_is_not_drawn():
    import altair as alt
    import pandas as pd

    from assets.charts.registry import ChartSpec
    from assets.report.assets import draw

    def build(df):
        assert not df.empty, "build must not see an empty frame"
        return alt.Chart(df).mark_bar().encode(x="k:N", y="v:Q")

    spec = ChartSpec(name="kv", section="Libraries", title="K by V", marts=("kv",), query="select 1",
                     build=build, caption=lambda df: f"{len(df)} rows & more", order=3)
    empty = draw(spec, pd.DataFrame({"k": [], "v": []}), Quarter(2020, 4))
    assert not empty.drawn and empty.caption == "No data up to 2020 Q4."
    full = draw(spec, pd.DataFrame({"k": ["a", "b"], "v": [1, 2]}), Quarter(2022, 4))
    assert full.drawn and full.caption == "2 rows & more" and full.png[:8] == b"\x89PNG\r\n\x1a\n"
    assert full.vega_lite["mark"]["type"] == "bar" and full.png_width > 0

    html = render([empty, chart("other", "Libraries", 1)])
    figures = dict(re.findall(r'data-chart="([^"]+)">(.*?)</figure>', html, re.S))
    assert "<figcaption>No data up to 2020 Q4.</figcaption>" in figures["kv"]
    assert "<img" not in figures["kv"] and "vl-spec" not in figures["kv"]
    assert "<img" in figures["other"] and list(spec_blocks(html)) == ["other"]

    broken = ChartSpec(name="broken", section="Libraries", title="t", marts=("kv",), query="select 1",
                       build=lambda df: 1 / 0, caption=str)
    with pytest.raises(RuntimeError, match="chart 'broken' .* could not be drawn"):
        draw(broken, pd.DataFrame({"k": ["a"]}), Quarter(2022, 4))
