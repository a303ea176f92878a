"""Headline, demographic and hardware marts on a hand-built world whose figures are counted by hand.

One materialization of 2021 Q4 .. 2022 Q4 as one run (module-scoped), then a rerun of 2022 Q4 alone
at the end: yearly marts must come out the same (a year is recomputed from every loaded quarter).
`dbt build` inside the run executes every data test, contract and unit test of the project.
"""

from __future__ import annotations

import duckdb
import pytest

import dagster as dg
from tests.landing_builder import ts, write_records
from tests.pipeline import materialize_quarters

FIRST, LAST = "2021Q4", "2022Q4"
CHARTS_OF_THESE_MARTS = [
    "headline_by_year", "activity_by_quarter", "active_users_by_country", "active_users_by_region",
    "top_countries_by_year", "users_by_profession", "corporate_users_by_industry", "gpu_vendors", "gpu_families",
    "gpu_models", "gpu_count_buckets", "accelerators", "compute_locations", "media_types",
]

# 2021 Q4: one user without a profile runs once on each of these GPUs (1 hour each): the real seed
# must classify every name (vendor, family, generation, segment).
GPU_ZOO = {
    "NVIDIA H100 80GB HBM3": ("NVIDIA", "H100", "H100 / H200", "Hopper", "data centre"),
    "Quadro RTX 6000": ("NVIDIA", "Quadro RTX 6000", "Quadro", "Turing", "workstation"),
    "NVIDIA RTX A6000": ("NVIDIA", "RTX A6000", "RTX A (workstation)", "Ampere", "workstation"),
    "Tesla K80": ("NVIDIA", "K80", "K80", "Kepler", "data centre"),
    "NVIDIA GeForce RTX 3060 Laptop GPU": ("NVIDIA", "GeForce RTX 3060", "GeForce RTX 30", "Ampere", "laptop"),
    "GeForce RTX 2080 Ti": ("NVIDIA", "GeForce RTX 2080 Ti", "GeForce RTX 20", "Turing", "consumer"),
    "NVIDIA A100-SXM4-80GB": ("NVIDIA", "A100", "A100", "Ampere", "data centre"),
    "Tesla P100-PCIE-16GB": ("NVIDIA", "P100", "P100", "Pascal", "data centre"),
    "NVIDIA A10G": ("NVIDIA", "A10G", "A10 / A2 / A16", "Ampere", "data centre"),
    "NVIDIA L4": ("NVIDIA", "L4", "L4 / L40", "Ada Lovelace", "data centre"),
    "Tesla V100S-PCIE-32GB": ("NVIDIA", "V100S", "V100", "Volta", "data centre"),
    "NVIDIA TITAN RTX": ("NVIDIA", "TITAN RTX", "TITAN", "Turing", "consumer"),
    "GeForce GTX 1060 6GB": ("NVIDIA", "GeForce GTX 1060", "GeForce GTX 10", "Pascal", "consumer"),
    "Apple M2 Max": ("Apple", "Apple M2 Max", "Apple M2", "Apple M2", "apple silicon"),
    # Unknown to the seed: vendor from its words, generation from the architecture the client wrote.
    "Hyper Tensor Card 9000": ("Other", "Hyper Tensor Card 9000", "Other (other)", "Blackwell", "unknown"),
}


def report_world(landing) -> None:
    """2022 Q3 and Q4, counted by hand in the tests below (plus the GPU zoo of 2021 Q4).

    Q3: a1 runs twice (GTX 1080 Ti on-prem; 4x V100 on AWS), c1 once (8x A100, Google Cloud),
        p1 once (Colab TPU, no GPU), one anonymous run (T4).
    Q4: a1 (RTX 3090, logs images), a2 (16x A100 80GB PCIe on AWS, images + tables), c1 (8x A100),
        c2 (Apple M1 Pro, tables), c3 only a sweep, p2 twice (unnamed Apple GPU; 2x RTX 4090),
        z1 (no profile; Kaggle IPU), x1 (no country or profession) only an artifact, one anonymous
        run (no GPU).
    """
    write_records(landing, "users", [
        dict(user_id="a1", country_code="US", profession="academic", updated_at=ts(2020, 1, 1)),
        dict(user_id="a2", country_code="US", profession="academic", updated_at=ts(2020, 1, 1)),
        dict(user_id="c1", country_code="CN", profession="corporate", industry="High tech", updated_at=ts(2020, 1, 1)),
        dict(user_id="c2", country_code="KR", profession="corporate", industry="High tech", updated_at=ts(2020, 1, 1)),
        dict(user_id="c3", country_code="DE", profession="corporate", industry="Healthcare & life sciences",
             updated_at=ts(2020, 1, 1)),
        dict(user_id="p1", country_code="IN", profession="personal", updated_at=ts(2020, 1, 1)),
        dict(user_id="p2", country_code="JP", profession="hobbyist", updated_at=ts(2020, 1, 1)),
        dict(user_id="x1", updated_at=ts(2020, 1, 1)),
    ])

    def run(rid, uid, when, hours, **kw):
        return dict(run_id=rid, user_id=uid, created_at=when, started_at=when, runtime_seconds=hours * 3600.0,
                    state="finished", **kw)

    q3, q4 = ts(2022, 8, 1, 12), ts(2022, 11, 1, 12)
    write_records(landing, "runs", [
        run("r01", "a1", q3, 2.0, gpu="GeForce GTX 1080 Ti", gpu_count=1, host="lab-01"),
        run("r02", "a1", q3, 3.0, gpu="Tesla V100-SXM2-16GB", gpu_count=4, host="ip-172-31-0-1"),
        run("r03", "c1", q3, 10.0, gpu="NVIDIA A100-SXM4-40GB", gpu_count=8, host="node.c.proj.internal"),
        run("r04", "p1", q3, 0.5, tpu="", host="abc", telemetry_env=[12]),
        run("r05", None, q3, 1.0, gpu="Tesla T4", gpu_count=1),
        run("r06", "a1", q4, 1.0, gpu="NVIDIA GeForce RTX 3090", gpu_count=1, media_types=["image"]),
        run("r07", "a2", q4, 20.0, gpu="NVIDIA A100 80GB PCIe", gpu_count=16, host="x.ec2.internal",
            media_types=["image", "table"]),
        run("r08", "c1", q4, 5.0, gpu="NVIDIA A100-SXM4-40GB", gpu_count=8),
        run("r09", "c2", q4, 2.0, gpu="Apple M1 Pro", media_types=["table"]),
        run("r10", "p2", q4, 1.0, gpu_apple=True),
        run("r11", "p2", q4, 4.0, gpu="NVIDIA GeForce RTX 4090", gpu_count=2),
        run("r12", "z1", q4, 0.5, ipu_count=4, host="k", telemetry_env=[2]),
        run("r13", None, q4, 0.25),
        *[run(f"zoo{i:02d}", "h1", ts(2021, 11, 1, 12), 1.0, gpu=name, gpu_count=1,
              gpu_architecture=attrs[3] if attrs[0] == "Other" else None)
          for i, (name, attrs) in enumerate(GPU_ZOO.items())],
    ])
    write_records(landing, "sweeps", [
        dict(sweep_id="s1", user_id="c3", project="p", created_at=ts(2022, 12, 1), method="bayes"),
    ])
    write_records(landing, "artifacts", [
        dict(artifact_id="art1", user_id="x1", project="p", type="dataset", created_at=ts(2022, 12, 2), size_bytes=1),
    ])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demographics_hardware") / "data"
    report_world(data_dir / "landing")
    with dg.DagsterInstance.ephemeral() as instance:
        materialize_quarters(data_dir, instance, FIRST, LAST)
        yield data_dir, instance


def q(world, sql: str):
    data_dir, _ = world
    with duckdb.connect(str(data_dir / "warehouse" / "stateofml.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def by_key(world, sql: str) -> dict:
    """{first column (or tuple of all but the last few): rest} for compact exact assertions."""
    return {row[0]: tuple(row[1:]) for row in q(world, sql)}


def test_headline_per_quarter_and_year(world):
    assert q(world, "select quarter_label, active_users, countries, runs, anonymous_runs, training_hours "
                    "from marts.headline_by_quarter order by quarter_start") == [
        ("2021 Q4", 1, 0, 15, 0, 15.0),
        ("2022 Q3", 3, 3, 5, 1, 16.5),    # a1 c1 p1 | US CN IN
        ("2022 Q4", 8, 5, 8, 1, 33.75),   # a1 a2 c1 c2 c3 p2 z1 x1 | US CN KR DE JP
    ]
    # a1 and c1 were active in both quarters: 9 distinct users in 2022, not 11.
    assert q(world, "select year, year_label, quarters_covered, active_users, countries, runs, anonymous_runs, "
                    "training_hours from marts.headline_by_year order by year") == [
        (2021, "2021 (1 of 4 quarters)", 1, 1, 0, 15, 0, 15.0),
        (2022, "2022 (2 of 4 quarters)", 2, 9, 6, 13, 2, 50.25),
    ]


def test_profession_and_industry_by_year(world):
    assert by_key(world, "select profession, active_users, runs, training_hours from marts.users_by_profession_by_year "
                         "where year = 2022") == {
        "academic": (2, 4, 26.0),
        "corporate": (3, 3, 17.0),      # c3 is active through a sweep only
        "personal": (2, 3, 5.5),        # "hobbyist" is personal
        "unknown": (2, 3, 1.75),        # z1 (no profile), x1 (none said) + both anonymous runs
    }
    assert by_key(world, "select industry, active_users, runs, training_hours, user_share, run_share, hour_share "
                         "from marts.corporate_users_by_industry_by_year where year = 2022") == {
        "High tech": (2, 3, 17.0, pytest.approx(2 / 3), 1.0, 1.0),
        "Healthcare & life sciences": (1, 0, 0.0, pytest.approx(1 / 3), 0.0, 0.0),
    }
    # A quarter's figures are a group-by over the core (no quarterly twin of this mart).
    assert by_key(world, "select industry, count(*) from marts.dim_users "
                         "where profession = 'corporate' and quarter_start = '2022-07-01' group by all") == {"High tech": (1,)}


def test_countries_by_year_with_regions(world):
    assert by_key(world, "select country_code, region, subregion, active_users, runs "
                         "from marts.active_users_by_country_by_year where year = 2022") == {
        "US": ("North America", "North America", 2, 4),
        "CN": ("Asia", "East Asia", 1, 2),
        "KR": ("Asia", "East Asia", 1, 1),
        "JP": ("Asia", "East Asia", 1, 2),
        "IN": ("Asia", "South Asia", 1, 1),
        "DE": ("Europe", "Europe", 1, 0),
        "unknown": ("Unknown", "Unknown", 2, 3),
    }


def test_gpu_count_buckets(world):
    # 7 users with runs in 2022 (c3 and x1 have none); hours 50.25.
    assert by_key(world, "select gpu_count_bucket, gpu_count_bucket_order, active_users, runs, training_hours, "
                         "user_share, hour_share from marts.gpu_count_buckets_by_year where year = 2022") == {
        "none": (0, 2, 3, 1.25, pytest.approx(2 / 7), pytest.approx(1.25 / 50.25)),  # TPU, IPU, anonymous CPU
        "1": (1, 3, 5, 7.0, pytest.approx(3 / 7), pytest.approx(7 / 50.25)),        # incl. both Apple runs
        "2": (2, 1, 1, 4.0, pytest.approx(1 / 7), pytest.approx(4 / 50.25)),
        "3-4": (3, 1, 1, 3.0, pytest.approx(1 / 7), pytest.approx(3 / 50.25)),
        "5-8": (4, 1, 2, 15.0, pytest.approx(1 / 7), pytest.approx(15 / 50.25)),
        "9+": (5, 1, 1, 20.0, pytest.approx(1 / 7), pytest.approx(20 / 50.25)),
    }
    assert by_key(world, "select gpu_count_bucket, count(distinct user_id), count(*) from marts.fct_runs "
                         "where quarter_start = '2022-07-01' group by all") == {
        "none": (1, 1), "1": (1, 2), "3-4": (1, 1), "5-8": (1, 1)}


def test_gpu_vendors_families_and_models(world):
    assert by_key(world, "select gpu_vendor, active_users, runs, training_hours from marts.gpu_vendors_by_year "
                         "where year = 2022") == {
        "NVIDIA": (4, 8, 46.0),          # a1 a2 c1 p2 (+ an anonymous T4 run)
        "Apple": (2, 2, 3.0),            # c2 (M1 Pro), p2 (gpuapple block without a name)
        "Unidentified": (2, 3, 1.25),    # p1 (TPU), z1 (IPU), an anonymous CPU run
    }
    assert by_key(world, "select gpu_family, runs, training_hours from marts.gpu_families_by_year where year = 2022") == {
        "A100": (3, 35.0), "V100": (1, 3.0), "T4": (1, 1.0), "GeForce GTX 10": (1, 2.0),
        "GeForce RTX 30": (1, 1.0), "GeForce RTX 40": (1, 4.0), "Apple M1": (1, 2.0),
        "Apple silicon (unnamed)": (1, 1.0), "No GPU (CPU only or not probed)": (3, 1.25),
    }
    assert q(world, "select gpu_model, gpu_generation, gpu_segment, active_users, runs, hour_share "
                    "from marts.gpu_models_by_year where year = 2022 and gpu_model in ('A100', 'Apple M1 Pro') "
                    "order by gpu_model") == [
        ("A100", "Ampere", "data centre", 2, 3, pytest.approx(35 / 50.25)),  # three NVML spellings, one model
        ("Apple M1 Pro", "Apple M1", "apple silicon", 1, 1, pytest.approx(2 / 50.25)),
    ]


def test_every_zoo_gpu_name_is_classified_by_the_seed(world):
    names = by_key(world, "select gpu_name, gpu_vendor, gpu_model, gpu_family, gpu_generation, gpu_segment "
                          "from intermediate.int_gpu_names")
    unknown = "Hyper Tensor Card 9000"
    assert {n: v for n, v in names.items() if n in GPU_ZOO and n != unknown} == {
        n: v for n, v in GPU_ZOO.items() if n != unknown}
    assert names[unknown] == ("Other", unknown, "Other (other)", None, "unknown")
    # The seed does not know it: the generation comes from the architecture the client recorded.
    assert q(world, f"select gpu_generation from marts.gpu_models_by_year where gpu_model = '{unknown}'") == [("Blackwell",)]


def test_accelerators_locations_and_media(world):
    assert by_key(world, "select accelerator, active_users, runs from marts.accelerators_by_year where year = 2022") == {
        "GPU": (5, 10), "TPU": (1, 1), "IPU": (1, 1), "CPU only": (0, 1),
    }
    assert by_key(world, "select compute_location, active_users, runs, training_hours from marts.compute_locations_by_year "
                         "where year = 2022") == {
        "AWS": (2, 2, 23.0), "Google Cloud": (1, 1, 10.0), "Colab": (1, 1, 0.5), "Kaggle": (1, 1, 0.5),
        "On-premises / other": (1, 1, 2.0), "Unknown (no host)": (4, 7, 14.25),
    }
    # A run logging images and tables counts under both; shares are of all 13 runs of the year.
    assert by_key(world, "select media_type, active_users, runs, run_share from marts.media_types_by_year "
                         "where year = 2022") == {
        "image": (2, 2, pytest.approx(2 / 13)), "table": (2, 2, pytest.approx(2 / 13)),
        "none": (5, 10, pytest.approx(10 / 13)),
    }


def test_charts_are_drawn_with_captions_from_the_marts(world):
    data_dir, instance = world
    charts = data_dir / "reports" / "2022Q4" / "charts"
    for name in CHARTS_OF_THESE_MARTS:
        assert (charts / f"{name}.png").read_bytes()[:4] == b"\x89PNG", name
    caption = lambda name: instance.get_latest_materialization_event(
        dg.AssetKey(["charts", name])).asset_materialization.metadata["caption"].value
    assert caption("headline_by_year") == "2022 (2 of 4 quarters): 9 active users from 6 countries, 13 runs, 50 training hours."
    assert caption("gpu_models") == ("A100 has the largest share of training hours: 2021 (1 of 4 quarters) 7% "
                                     "-> 2022 (2 of 4 quarters) 70%.")
    assert caption("corporate_users_by_industry") == "High tech: 67% of corporate users in 2022 (2 of 4 quarters)."
    # Known countries in 2022: US 2, CN, KR, JP, IN, DE 1 each: Asia 4 of 7.
    assert caption("active_users_by_region").startswith("Share of active users in Asia: 2022 (2 of 4 quarters) 57%")
    assert caption("gpu_count_buckets") == ("2022 (2 of 4 quarters): 43% of users ran on a single GPU; share of training "
                                            "hours on 9+ GPUs: 2021 (1 of 4 quarters) 0% -> 2022 (2 of 4 quarters) 40%.")


def test_rerunning_one_quarter_keeps_the_core_and_every_mart(world):
    """A later run of 2022 Q4 alone replaces that quarter of the core (fct_runs, fct_run_libraries,
    dim_users) exactly, and recomputes 2022 from both loaded quarters (not from Q4 only)."""
    tables = [t for (t,) in q(world, "select table_name from information_schema.tables "
                                     "where table_schema = 'marts' order by 1")]
    assert {"fct_runs", "fct_run_libraries", "dim_users", "headline_by_year", "gpu_models_by_year"} <= set(tables)
    before = {t: q(world, f"select * from marts.{t} order by all") for t in tables}
    assert before["fct_runs"] and before["dim_users"]
    data_dir, instance = world
    # Profiles and seeds do not change between the two runs.
    materialize_quarters(data_dir, instance, LAST, LAST, reference=False)
    after = {t: q(world, f"select * from marts.{t} order by all") for t in tables}
    assert after == before
