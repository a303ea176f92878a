"""Each chart's caption against the data the chart draws, and the rules every chart keeps (no two
series share a colour, tooltips with readers' titles).

The frames under chart_frames/ are each chart's query result on the quick-start world (simulated
2020 Q1 .. 2022 Q4 at scale 0.001, seed 42) as of 2022 Q4, so the captions meet real shapes
(partial groups, tiny counts, years with few users). Refresh them after a mart changes shape:

    stateofml simulate --start 2020Q1 --end 2022Q4 --scale 0.001 && stateofml materialize 2020Q1:2022Q4
    python -m tests.unit.test_chart_captions <data dir>
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from assets.charts import demographics, frameworks, libraries
from assets.charts.registry import ALL_CHARTS
from assets.charts.render import drawn_data
from assets.charts.theme import use_theme
from assets.charts.views import few_users_note

FRAMES = Path(__file__).parent / "chart_frames"
SPECS = {spec.name: spec for spec in ALL_CHARTS}


def frame(name: str) -> pd.DataFrame:
    return pd.read_parquet(FRAMES / f"{name}.parquet")


def drawn(name: str, df: pd.DataFrame | None = None) -> tuple[dict, pd.DataFrame, str]:
    """(Vega-Lite spec, the rows it draws, caption) of chart ``name`` on ``df`` (default: its frame)."""
    use_theme()
    df = frame(name) if df is None else df
    spec = SPECS[name].build(df).to_dict()
    return spec, drawn_data(spec), SPECS[name].caption(df)


def encodings(spec: dict, channel: str) -> list[dict]:
    """Every ``channel`` encoding anywhere in a (layered, faceted) spec."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("encoding"), dict) and channel in node["encoding"]:
                found.append(node["encoding"][channel])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(spec)
    return found


@pytest.mark.parametrize("name", sorted(SPECS))
def test_no_two_series_share_a_colour_and_tooltips_have_titles(name):
    spec, data, caption = drawn(name)
    assert caption and not data.empty
    for enc in encodings(spec, "color"):
        if "field" not in enc or enc.get("type") == "quantitative":
            continue  # a fixed colour, a condition, or a heat scale
        scale = enc.get("scale", {})
        assert "range" in scale, f"{name}: colour of {enc['field']} has no explicit palette"
        assert len(set(scale["range"])) == len(scale["range"]) == len(scale["domain"]), name
        assert set(data[enc["field"]].dropna()) <= set(scale["domain"]), name
    for enc in encodings(spec, "tooltip"):
        for line in enc if isinstance(enc, list) else [enc]:
            assert isinstance(line, dict) and line.get("title"), f"{name}: tooltip {line} shows a raw field name"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_thin_data_never_breaks_a_chart(name):
    """One period, one row, or only users without a country (an early quarter of a small world):
    caption, finding and figures are computed or say there is nothing, never crash."""
    from assets.charts.assets import chart_meta
    from stateofml.quarters import Quarter

    use_theme()
    df = frame(name)
    period = "year" if "year" in df else "quarter_start"
    thin = [df[df[period] == df[period].min()], df.head(1)]
    if "country_code" in df:
        thin.append(df[df["country_code"] == "unknown"])
    for rows in thin:
        meta = chart_meta(SPECS[name], rows, Quarter(2022, 4))
        assert meta["caption"]
        if not rows.empty:
            SPECS[name].build(rows)


def test_country_lines_are_the_top_countries_and_other_in_grey():
    spec, data, caption = drawn("active_users_by_country")
    scale = encodings(spec, "color")[0]["scale"]
    assert len(scale["domain"]) == demographics.TOP_COUNTRIES + 1 and scale["domain"][-1] == "Other"
    assert scale["range"][-1] == "#999999"
    latest = data[data["quarter_label"] == data["quarter_label"].max()]
    leader, users, total = re.match(r"(.+) leads 2022 Q4 with (\d+) active users of (\d+)\.", caption).groups()
    assert leader in scale["domain"] and int(total) == latest["active_users"].sum()
    assert int(users) == latest.loc[latest["country"] == leader, "active_users"].sum()


def test_regions_beyond_the_palette_are_summed_as_other():
    df = frame("active_users_by_region")
    spec, data, _ = drawn("active_users_by_region")
    assert df["subregion"].nunique() > 9  # the quick-start world has more regions than colours
    assert data["subregion"].nunique() == 9 and "Other" in set(data["subregion"])
    # Shares still add up to the whole per year and measure.
    totals = data.groupby(["year_label", "measure"])["value"].sum()
    assert totals.round(6).eq(1).all()


def test_fastest_growing_shows_what_its_caption_promises():
    df = frame("fastest_growing_libraries")
    spec, data, caption = drawn("fastest_growing_libraries")
    shown = list(dict.fromkeys(data["library"]))
    ranked = libraries.ranked_growth(df)
    need = libraries.growth_threshold(df)
    assert need == max(libraries.MIN_GROWTH_USERS, math.ceil(0.01 * 103)) == 5  # 103 users in 2022 Q4
    assert (ranked["active_users"] >= need).all() and (ranked["previous_active_users"] >= need).all()
    assert not ranked["category"].isin(libraries.FRAMEWORK_CATEGORIES).any()
    # "the 10 fastest-growing of the N ranked libraries" and the 3 largest, as drawn.
    n = len(ranked)
    assert f"the {libraries.TOP_GROWERS} fastest-growing of the {n} ranked libraries" in caption
    largest = ranked.nlargest(libraries.LARGEST, "active_users")["library"].tolist()
    assert shown[:libraries.TOP_GROWERS] == ranked["library"].head(libraries.TOP_GROWERS).tolist()
    assert set(largest) <= set(shown) and len(shown) == len(set(ranked["library"].head(10)) | set(largest))
    # The talk's finding is on top once the threshold scales: Transformers 5 -> 11 users.
    assert caption.split("fastest ")[1].startswith("Hugging Face Transformers 2.2x")
    assert "pandas" not in caption.split("fastest ")[1].split(";")[0]
    fastest, largest_part = caption.split("fastest ")[1].split("; largest ")
    named = [re.sub(r" \d+\.\dx.*", "", part) for part in fastest.split(", ")]
    named += re.findall(r"(?:^|\), )(.+?) \d+\.\dx", largest_part)
    assert len(named) == 6 and set(named) <= set(shown), named
    # The threshold in words, with its value, in the caption and the subtitle.
    words = "at least 5 active users in both quarters (the larger of 5 users and 1% of the quarter's 103 active users)"
    assert words in caption and words in spec["title"]["subtitle"]
    # The decline colour has a legend entry.
    colour = encodings(spec, "color")[0]
    assert colour["scale"]["domain"] == ["Grew", "Shrank"] and colour["title"]


def test_growth_threshold_scales_with_the_quarter():
    def world(users: int) -> pd.DataFrame:
        big = users // 10
        return pd.DataFrame({
            "quarter_start": pd.Timestamp("2022-10-01"), "quarter_label": "2022 Q4", "quarter_active_users": users,
            "library": ["Hydra", "tiny", "pandas"], "category": "utilities", "is_known_library": True,
            "active_users": [5 * big, 10, 2 * big], "previous_active_users": [big, 2, 2 * big],
            "runs": 1, "previous_runs": 1, "training_hours": 1.0, "previous_training_hours": 1.0,
            "user_growth": [5.0, 5.0, 1.0], "run_growth": 1.0, "hour_growth": 1.0})
    full = world(100_000)
    assert libraries.growth_threshold(full) == 1000
    assert libraries.ranked_growth(full)["library"].tolist() == ["Hydra", "pandas"]  # 2 -> 10 users is noise
    caption = libraries.fastest_growing_caption(full)
    assert "at least 1,000 active users in both quarters" in caption and "of all 2 ranked libraries:" in caption
    only = full[full["library"] != "pandas"]
    assert "growth in active users of the only ranked library: fastest Hydra 5.0x" in libraries.fastest_growing_caption(only)
    small = world(100)  # Hydra 10 -> 50 users, tiny 2 -> 10, pandas 20 -> 20
    assert libraries.growth_threshold(small) == libraries.MIN_GROWTH_USERS
    assert libraries.ranked_growth(small)["library"].tolist() == ["Hydra", "pandas"]
    none = small.assign(previous_active_users=[4, 2, 3])
    assert libraries.fastest_growing_caption(none).startswith(
        "No library other than the frameworks has at least 5 active users in both quarters")
    # The first loaded quarter has no quarter before it (null, not 0): no threshold to blame.
    first = small.assign(previous_active_users=None, user_growth=None)
    assert libraries.fastest_growing_caption(first) == (
        "2022 Q4: the quarter before is not loaded, so there is no growth to compare yet.")


def test_frameworks_by_profession_counts_the_frameworks_it_draws():
    spec, data, caption = drawn("frameworks_by_profession")
    drawn_frameworks = set(data["library"])
    m = re.search(r"(\d+) of the (\d+) other frameworks drawn have a larger share among corporates", caption)
    assert int(m.group(2)) == len(drawn_frameworks - {"PyTorch"}) == frameworks.TOP_FRAMEWORKS - 1
    shares = (data[data["measure"] == "Share of users"]
              .pivot_table(index="library", columns="profession", values="value").fillna(0))  # no user: 0%
    assert int(m.group(1)) == int((shares["Corporate"] > shares["Academic"]).drop("PyTorch").sum())


def test_libraries_by_profession_names_only_what_it_draws():
    spec, data, caption = drawn("libraries_by_profession")
    assert f"among the {data['library'].nunique()} most used libraries" in caption
    widest = re.search(r"the widest gap is (.+?) \(", caption).group(1)
    assert widest in set(data["library"])
    # Long names on the y axis, never rotated on x.
    assert encodings(spec, "y")[0]["field"] == "library"
    # The chart draws 2022 alone: its few-users warning speaks of 2022 only.
    note = few_users_note(frame("libraries_by_profession"), SPECS["libraries_by_profession"].latest_only)
    assert "2020" not in note and "2021" not in note


def test_detection_agreement_names_only_drawn_libraries():
    spec, data, caption = drawn("detection_agreement")
    n = data["library"].nunique()
    assert f"of the {n} libraries drawn" in caption
    named = re.search(r"the telemetry alone sees (.+?) in", caption)
    assert named is None or named.group(1) in set(data["library"])
    assert "Keras" not in spec["title"]["subtitle"] or "Keras" in set(data["library"])


def test_gpu_families_caption_uses_the_legend_groups():
    spec, data, caption = drawn("gpu_families")
    legend = set(encodings(spec, "color")[0]["scale"]["domain"])
    for family in re.findall(r"(?:^|; )(.+?) share of (?:runs|training hours)", caption):
        assert family in legend, family
    assert "/" not in caption.split(":")[0]  # no "RTX 30/40" group the legend does not have


def test_industry_caption_counts_growing_industries():
    spec, data, caption = drawn("corporate_users_by_industry")
    df = frame("corporate_users_by_industry")
    drawn_named = set(data["industry"]) - {"Other", "Unknown"}
    first, last = df[df["year"] == df["year"].min()], df[df["year"] == df["year"].max()]
    present = [i for i in first["industry"] if i in drawn_named]
    grew = sum(last.loc[last["industry"] == i, "active_users"].sum() > first.loc[first["industry"] == i, "active_users"].sum()
               for i in present)
    m = re.search(r"of the (\d+) named industries drawn in 2020, (\w+) grew", caption)
    assert int(m.group(1)) == len(present)
    assert m.group(2) == ("all" if grew == len(present) else str(grew))
    assert "every industry grows" not in spec["title"]["subtitle"]


def test_industry_caption_says_when_one_shrinks():
    rows = []
    for year, users in ((2021, {"High tech": 10, "Finance": 5, "Retail": 4}), (2022, {"High tech": 20, "Finance": 8, "Retail": 2})):
        total = sum(users.values())
        rows += [dict(year=year, year_label=str(year), quarters_covered=4, industry=i, active_users=u, runs=u,
                      training_hours=float(u), user_share=u / total, run_share=u / total, hour_share=u / total)
                 for i, u in users.items()]
    caption = demographics.corporate_users_by_industry_caption(pd.DataFrame(rows))
    assert caption.endswith("of the 3 named industries drawn in 2021, 2 grew in corporate users.")


def test_headline_caption_and_numbers_match_the_bars():
    spec, data, caption = drawn("headline_by_year")
    last = data[data["year_label"] == "2022"].set_index("measure")["value"]
    assert caption == (f"2022: {last['Active users']:,.0f} active users from {last['Countries']:,.0f} countries, "
                       f"{last['Runs']:,.0f} runs, {last['Training hours']:,.0f} training hours.")
    numbers = SPECS["headline_by_year"].key_numbers(frame("headline_by_year"))
    assert numbers["active_users"] == last["Active users"] and numbers["previous_year"] == 2021


def test_findings_compare_with_the_year_before():
    finding = SPECS["pytorch_vs_tensorflow"].finding(frame("pytorch_vs_tensorflow"))
    df = frame("pytorch_vs_tensorflow")
    share = lambda year: df[(df["year"] == year) & (df["library"] == "PyTorch")]["run_share"].sum()
    assert finding == (f"PyTorch share of runs: 2022 {100 * share(2022):.0f}% "
                       f"({100 * (share(2022) - share(2021)):+.0f} points on 2021).")
    one_year = df[df["year"] == 2022]
    assert SPECS["pytorch_vs_tensorflow"].finding(one_year).endswith("(no earlier year to compare).")


def test_population_and_few_users_come_from_the_shares_drawn():
    from assets.charts.assets import chart_meta
    from stateofml.quarters import Quarter

    df = frame("gpu_vendors")
    base = (df["active_users"] / df["user_share"]).groupby(df["year_label"]).min().round().astype(int)
    meta = chart_meta(SPECS["gpu_vendors"], df, Quarter(2022, 4))
    assert meta["population"].endswith(
        "users behind each share, at least: " + ", ".join(f"{k} {v:,}" for k, v in base.items()))
    assert meta["few_users"] == ""  # 51 users in 2020: enough
    industries = chart_meta(SPECS["corporate_users_by_industry"], frame("corporate_users_by_industry"), Quarter(2022, 4))
    assert industries["few_users"].startswith("Few users behind 2020 (21 users), 2021 (31 users): below 50 users")


if __name__ == "__main__":  # refresh the frames from a materialized data directory
    import duckdb

    from stateofml.quarters import Quarter

    with duckdb.connect(str(Path(sys.argv[1]) / "warehouse" / "stateofml.duckdb"), read_only=True) as conn:
        for spec in ALL_CHARTS:
            conn.execute(spec.query, {"end": Quarter(2022, 4).end}).df().to_parquet(FRAMES / f"{spec.name}.parquet", index=False)


@pytest.mark.parametrize(("share", "text"), [(0.0, "0%"), (0.004, "<1%"), (0.006, "1%"), (0.42, "42%"),
                                             (0.994, "99%"), (0.995, ">99%"), (1.0, "100%")])
def test_a_share_rounding_to_none_or_all_says_it_is_not(share, text):
    # The full-size year's boosted-trees finding read "for 0% of training hours" for 0.3 %.
    from assets.charts.three_ways import fmt_share
    assert fmt_share(share) == text
