"""The report pages' layout and rendering, without a warehouse: escaping, order, labels, paths,
navigation, and a page assembled from the files a chart asset writes."""

from __future__ import annotations

import json
import re
import struct
import zlib
from datetime import datetime, timezone

import altair as alt
import pandas as pd
import pytest
import yaml

from assets.analysts.publish import DOCS_SITE, mart_docs_fragment
from assets.charts.registry import DEMOGRAPHICS, HARDWARE, SECTIONS, ChartSpec
from assets.charts.render import ChartFiles, drawn_data, inline_script, save_chart
from assets.report.page import Figure, Headline, Link, Nav, PageChart, layout_sections, period_label, render_page
from assets.report.paths import docs_site_link, link, page_path, publish, publish_quarter, published, snapshot_path
from assets.report.source import describe_source
from stateofml.cli import main
from stateofml.contract import SIMULATIONS_FILE
from stateofml.platform.project import PROJECT_ROOT
from stateofml.quarters import Quarter, quarter_range

EVIL = '<script>alert("x")</script>'


def png(width: int, height: int) -> bytes:
    """A valid, blank grayscale PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def chart(name: str, section: str, title: str | None = None, caption: str = "a caption", spec: dict | None = None,
          **kw) -> PageChart:
    return PageChart(name=name, section=section, title=title or f"Title of {name}", caption=caption,
                     marts=(f"mart_{name}",), population="everyone",
                     vega_lite=spec or {"mark": "bar", "data": {"values": [{"name": name}]}},
                     png=png(8, 4), png_scale=2, csv="name\nx\n", **kw)


def render(charts, as_of=Quarter(2022, 3), headline=None, vega_js="window.vegaEmbed = function () {};", **kw):
    return render_page(as_of=as_of, charts=charts, headline=headline, source=["Simulated data."],
                       nav=kw.pop("nav", Nav()), vega_js=vega_js,
                       generated_at=datetime(2023, 1, 2, 3, 4, tzinfo=timezone.utc),
                       font="Helvetica, Arial, sans-serif", palette=["#0072B2", "#E69F00"], few_users=50, **kw)


def spec_blocks(html: str) -> dict[str, dict]:
    """chart name -> the Vega-Lite spec embedded in its figure."""
    figures = re.findall(r'<figure class="chart" id="[^"]+" data-chart="([^"]+)">(.*?)</figure>', html, re.S)
    blocks = {name: re.search(r'<script type="application/json" class="vl-spec">(.*?)</script>', body, re.S)
              for name, body in figures}
    return {name: json.loads(m.group(1)) for name, m in blocks.items() if m}


def test_text_from_data_is_escaped_everywhere():
    spec = {"title": "</script><script>alert(1)</script>", "mark": "point", "note": "a & b <!-- c"}
    html = render([chart("evil", "demographics", title=EVIL, caption=f"US & CN {EVIL}", spec=spec,
                         finding=f"finding {EVIL}", subtitle=EVIL, few_users=EVIL)],
                  headline=Headline(EVIL, (Figure("runs", "runs", 3.0, 1.0),), EVIL))
    assert EVIL not in html and "<script>alert" not in html and "<!-- c" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # title, caption, finding, alt, TOC
    assert "US &amp; CN" in html
    # The spec survives the trip through its <script> element unchanged.
    assert spec_blocks(html) == {"evil": spec}
    # Exactly our two <script> elements (vendor JS, embedding code) plus one JSON block per chart.
    assert len(re.findall(r"<script\b", html)) == 3


def test_chart_files_escape_data_and_carry_what_the_chart_draws(tmp_path):
    """The per-chart HTML is the same Jinja set-up: a profile value cannot close its script."""
    evil = "</script><script>alert(1)</script>"
    df = pd.DataFrame({"industry": [evil, "High tech"], "users": [3, 5]})
    chart_ = alt.Chart(df, title=evil).mark_bar().encode(y="industry:N", x="users:Q")
    files = ChartFiles(tmp_path / "2022Q4" / "charts", "industries")
    save_chart(chart_, files, tmp_path, {"title": evil, "caption": f"{evil} leads"})
    html = files.html.read_text()
    assert "<script>alert" not in html and html.lower().count("</script>") == 3  # vendor, spec, embed
    block = re.search(r'class="vl-spec">(.*?)</script>', html, re.S).group(1)
    assert json.loads(block) == json.loads(files.spec.read_text())
    assert pd.read_csv(files.csv).to_dict("list") == {"industry": [evil, "High tech"], "users": [3, 5]}
    assert json.loads(files.meta.read_text())["drawn"] is True
    assert '<script src="../../vendor/vega-bundle.js"></script>' in html
    # No chart (no rows): only the caption is kept, the stale picture is gone.
    save_chart(None, files, tmp_path, {"title": "t", "caption": "No data up to 2022 Q4."})
    assert not files.png.exists() and not files.html.exists()
    assert json.loads(files.meta.read_text())["drawn"] is False


def test_drawn_data_is_the_largest_dataset():
    spec = {"datasets": {"a": [{"x": 1}], "b": [{"y": 1}, {"y": 2}]}}
    assert drawn_data(spec).to_dict("list") == {"y": [1, 2]}


def test_sections_follow_the_declared_order():
    charts = [chart("gpus", "hardware"), chart("clouds", "further-analyses"), chart("torch_tf", "frameworks"),
              chart("libs", "libraries"), chart("countries", "demographics"), chart("industries", "demographics"),
              chart("growth", "overview"), chart("agreement", "method-notes")]
    sections = layout_sections(charts)
    assert [(s.key, [c.name for c in s.charts]) for s in sections] == [
        ("overview", ["growth"]), ("demographics", ["countries", "industries"]), ("frameworks", ["torch_tf"]),
        ("libraries", ["libs"]), ("hardware", ["gpus"]), ("further-analyses", ["clouds"]),
        ("method-notes", ["agreement"]),
    ]
    html = render(charts)
    headings = re.findall(r"<h2>([^<]+)</h2>", html)
    assert headings == ["Contents", *[s.title for s in SECTIONS], "Data lineage"]
    assert headings.count("Method notes") == 1
    toc = html[html.index('<nav class="toc"'):html.index("</nav>", html.index('<nav class="toc"'))]
    figure_order = re.findall(r'<figure class="chart" id="[^"]+" data-chart="([^"]+)"', html)
    assert re.findall(r'href="#chart-([^"]+)"', toc) == [n.replace("_", "-") for n in figure_order]
    # The chart's heading is the page's; its Vega-Lite title is dropped when drawn in the page.
    assert html.count("<h3>Title of gpus</h3>") == 1
    with pytest.raises(ValueError, match="SECTIONS does not declare"):
        layout_sections([chart("x", "Clouds")])


def test_every_chart_names_a_declared_section_and_sections_are_unique():
    from assets.charts.registry import ALL_CHARTS

    assert all(spec.section in SECTIONS for spec in ALL_CHARTS)
    assert len({s.key for s in SECTIONS}) == len(SECTIONS)
    # Sections in page order, charts grouped: each section's charts are contiguous.
    order = [SECTIONS.index(spec.section) for spec in ALL_CHARTS]
    assert order == sorted(order)


def test_an_empty_report_still_has_overview_and_notes():
    html = render([])
    assert re.findall(r"<h2>([^<]+)</h2>", html) == ["Contents", "Overview", "Method notes", "Data lineage"]
    assert "No headline figures for 2022 (Q1\u2013Q3 so far) yet" in html


@pytest.mark.parametrize("as_of, label", [
    (Quarter(2022, 1), "2022 (Q1 so far)"),
    (Quarter(2022, 3), "2022 (Q1\u2013Q3 so far)"),
    (Quarter(2021, 4), "2021 (full year)"),
])
def test_period_label(as_of, label):
    assert period_label(as_of) == label
    html = render([], as_of=as_of)
    assert f'<p class="period">{label} &middot; data through {as_of.label}</p>' in html


def test_headline_figures_change_and_coverage():
    numbers = {"year": 2022, "year_label": "2022 (2 of 4 quarters)", "quarters_covered": 2, "active_users": 201234,
               "countries": 194, "runs": 124_999_876, "training_hours": 1234.56, "previous_year": 2021,
               "previous_year_label": "2021", "previous_active_users": 100617, "previous_countries": 194,
               "previous_runs": 0, "previous_training_hours": 1000.0}
    head = Headline.from_numbers(numbers, "year")
    html = render([], as_of=Quarter(2022, 3), headline=head)
    shown = dict((k, v) for v, k in re.findall(r'<data value="([^"]+)" data-headline="(\w+)">', html))
    assert shown == {"active_users": "201234", "countries": "194", "runs": "124999876", "training_hours": "1234.56"}
    assert ">201,234<" in html and ">124,999,876<" in html and ">1,235<" in html
    changes = dict(re.findall(r'data-change="(\w+)">([^<]+)<', html))
    assert changes == {"active_users": "+100% on 2021", "countries": "+0% on 2021", "runs": "new on 2021",
                       "training_hours": "+23% on 2021"}
    assert "Figures from the 2 quarters of 2022 with data loaded, of 3 so far." in html
    assert "of 2022 with data loaded, of 4." in render([], as_of=Quarter(2022, 4), headline=head)
    assert "1 quarter loaded after 2022 Q1" in render([], as_of=Quarter(2022, 1), headline=head)
    alone = Headline.from_numbers({k: v for k, v in numbers.items() if not k.startswith("previous_")}, "year")
    html = render([], headline=alone)
    assert "data-change" not in html and "no earlier period loaded to compare" in html


def test_findings_are_listed_in_page_order_with_links():
    html = render([chart("b", "hardware", finding="NVIDIA 90%."), chart("a", "demographics", finding="US leads."),
                   chart("c", "demographics")])
    found = re.findall(r'<li>([^<]+) <a href="#(chart-[^"]+)">', html[html.index('id="key-findings"'):])
    assert found == [("US leads.", "chart-a"), ("NVIDIA 90%.", "chart-b")]
    assert "Key findings" not in render([chart("c", "demographics")])


def test_each_chart_links_its_data_and_names_its_mart_and_population():
    html = render([chart("a", "hardware", few_users="Few users behind 2020 (12 users).")], as_of=Quarter(2022, 4))
    body = html[html.index('data-chart="a"'):]
    href = re.search(r'<a class="download" href="([^"]+)" download="a_2022Q4.csv">', body).group(1)
    assert href == "data:text/csv;charset=utf-8;base64,bmFtZQp4Cg=="  # "name\nx\n"
    assert "<code" in body and "marts.mart_a</code>" in body
    assert "Who is counted: everyone." in body and "Few users behind 2020 (12 users)." in body
    assert "Simulated data." in html


def test_marts_link_their_dbt_docs_page_when_the_site_exists(tmp_path):
    outputs, analysts = tmp_path / "reports", tmp_path / "analysts"
    site = analysts / DOCS_SITE
    assert docs_site_link(outputs, site) is None  # not built: the marts are named as text
    text = render([chart("a", "hardware")], as_of=Quarter(2022, 4), docs_site=docs_site_link(outputs, site))
    assert 'class="mart"' not in text and "dbt_docs" not in text
    assert text.count(">marts.mart_a</code>") == 2  # beside the chart and in the lineage
    site.parent.mkdir(parents=True)
    site.write_text("<html></html>")
    href = docs_site_link(outputs, site)
    assert href == "../../analysts/dbt_docs/index.html"
    # Relative to the published pages' folder: the link resolves from there.
    assert (outputs / "report" / href).resolve() == site.resolve()
    text = render([chart("a", "hardware")], as_of=Quarter(2022, 4), docs_site=href)
    # The dbt docs site's route of a model (AngularJS, hash prefix "!"): #!/model/<unique_id>.
    links = re.findall(r'<a class="mart" href="([^"]+)"[^>]*><code>marts\.mart_a</code></a>', text)
    assert links == ["../../analysts/dbt_docs/index.html#!/model/model.stateofml.mart_a"] * 2


def test_the_docs_site_names_models_by_the_dbt_projects_name():
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project" / "dbt_project.yml").read_text())
    assert mart_docs_fragment("headline_by_year") == f"#!/model/model.{project['name']}.headline_by_year"


def test_navigation_marks_the_current_page():
    nav = Nav(years=(Link("2021", link("state_of_ml_2021.html")), Link("2022", link("state_of_ml_2022.html"), True)),
              quarters=(Link("2022 Q4", link("state_of_ml_2022Q4.html")),), index=link("index.html"))
    html = render([], nav=nav)
    assert '<a href="../report/state_of_ml_2022.html" aria-current="page">2022</a>' in html
    assert '<a href="../report/state_of_ml_2021.html">2021</a>' in html and 'href="../report/index.html"' in html


def test_lineage_lists_each_chart_and_its_marts():
    html = render([chart("a", "hardware"), chart("b", "demographics")])
    lineage = html[html.index('<div class="lineage">'):]
    assert lineage.index("marts.mart_b") < lineage.index("marts.mart_a")
    assert "Generated 2023-01-02 03:04 UTC" in html


def test_vendor_script_cannot_close_its_element():
    js = 'var s = "</script><p>not html</p>"; var t = "</SCRIPT>";'
    assert "</script" not in inline_script(js).lower()
    html = render([], vega_js=js)
    assert html.lower().count("</script>") == 2


def test_picture_width_is_in_css_pixels():
    c = chart("a", "hardware")
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
    assert snapshot_path(out, q4) == out / "2022Q4" / "state_of_ml_2022.html"
    publish_quarter(out, q3, "Q3 alone")
    assert (out / "report" / "state_of_ml_2022Q3.html").read_text() == "Q3 alone"
    assert published(out) == ([2021, 2022], [q3])
    assert not list(out.rglob(".*"))  # no temporary files left behind


def test_a_range_writes_one_page_per_year_as_of_its_last_quarter():
    from assets.charts.views import chart_views, pages_of_window

    window = quarter_range(Quarter(2020, 3), Quarter(2022, 2))
    assert pages_of_window(window) == [Quarter(2020, 4), Quarter(2021, 4), Quarter(2022, 2)]
    assert pages_of_window([Quarter(2022, 3)]) == [Quarter(2022, 3)]
    yearly = ChartSpec(name="y", section=HARDWARE, title="t", marts=("m",), query="", build=None, caption=None,
                       population="p")
    quarterly = ChartSpec(name="q", section=DEMOGRAPHICS, title="t", marts=("m",), query="", build=None,
                          caption=None, population="p", period="quarter")
    assert chart_views(yearly, window) == pages_of_window(window)
    assert chart_views(quarterly, window) == window


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


def test_a_chart_without_rows_says_so_and_is_not_drawn(tmp_path):
    from assets.charts.assets import draw_view

    def build(df):
        assert not df.empty, "build must not see an empty frame"
        return alt.Chart(df, title=alt.Title("K by V", subtitle="per k")).mark_bar().encode(x="k:N", y="v:Q")

    spec = ChartSpec(name="kv", section=HARDWARE, title="K by V", marts=("kv",), query="select 1",
                     build=build, caption=lambda df: f"{len(df)} rows & more", population="all k")
    files = ChartFiles(tmp_path / "2020Q4" / "charts", "kv")
    draw_view(spec, pd.DataFrame({"k": [], "v": []}), Quarter(2020, 4), files, tmp_path)
    empty = PageChart.from_files(files)
    assert not empty.drawn and empty.caption == "No data up to 2020 Q4."
    files = ChartFiles(tmp_path / "2022Q4" / "charts", "kv")
    draw_view(spec, pd.DataFrame({"k": ["a", "b"], "v": [1, 2]}), Quarter(2022, 4), files, tmp_path)
    full = PageChart.from_files(files)
    assert full.drawn and full.caption == "2 rows & more" and full.png[:8] == b"\x89PNG\r\n\x1a\n"
    assert full.vega_lite["mark"]["type"] == "bar" and full.png_width > 0 and full.subtitle == "per k"
    assert full.csv.splitlines() == ["k,v", "a,1", "b,2"]

    html = render([empty])
    assert "<figcaption>No data up to 2020 Q4.</figcaption>" in html
    assert "<img" not in html and 'class="vl-spec"' not in html and 'class="download"' not in html
    assert "<img" in render([full])

    broken = ChartSpec(name="broken", section=HARDWARE, title="t", marts=("kv",), query="select 1",
                       build=lambda df: 1 / 0, caption=str, population="p")
    with pytest.raises(RuntimeError, match="chart 'broken' .* could not be drawn for 2022 Q4"):
        draw_view(broken, pd.DataFrame({"k": ["a"]}), Quarter(2022, 4), files, tmp_path)


@pytest.mark.parametrize("scale, text", [(1.0, "1.0"), (1, "1.0"), (0.001, "0.001"), (0.0001, "0.0001"), (0.25, "0.25")])
def test_the_data_source_says_the_simulated_scale_as_written(tmp_path, scale, text):
    landing = tmp_path / "landing"
    (landing / "runs" / "date=2022-10-01").mkdir(parents=True)
    (landing / "runs" / "date=2022-10-01" / "sim-000.parquet").write_bytes(b"")
    (landing / SIMULATIONS_FILE).parent.mkdir(parents=True)
    (landing / SIMULATIONS_FILE).write_text(json.dumps(
        {"simulations": [{"start": "2022-01-01", "end": "2022-12-31", "scale": scale, "seed": 42}]}))
    (line,) = describe_source(landing)
    assert f"simulated at scale {text} of the real service" in line and "2022-01-01 to 2022-12-31" in line
