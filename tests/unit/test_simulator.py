"""Tests of the activity simulator: determinism, the landing contract, code blobs, and calibration.

The calibration tests read the written Parquet with DuckDB, as the pipeline would, and check the
talk's findings as orderings/shares on a 1/500 sample (scale 0.002, 2020-2022, seed 42).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulator import SimulationSummary, simulate
from simulator.activity import DayGenerator
from simulator.world import COUNTRIES, build_population, day_index
from stateofml.contract import ENTITIES, landing_files

SCALE = 0.002
SEED = int(os.environ.get("SIM_TEST_SEED", "42"))  # other seeds: check the findings are not luck

# -- import detection (what the pipeline does with code blobs, in miniature) ----------------------------
IMPORT_RE = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+([\w., ()*]+)|import[ \t]+([\w., ]+))", re.M)
LIBRARY = {  # module -> library reported
    "torch": "torch", "tensorflow": "tensorflow", "keras": "keras", "tf_keras": "keras", "keras_core": "keras",
    "pytorch_lightning": "lightning", "lightning": "lightning", "lightning_fabric": "lightning",
    "xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost", "jax": "jax", "flax": "jax",
    "sklearn": "sklearn", "transformers": "transformers", "hydra": "hydra", "diffusers": "diffusers",
    "accelerate": "accelerate", "einops": "einops", "timm": "timm", "evaluate": "evaluate", "datasets": "datasets",
    "torchvision": "torchvision", "optuna": "optuna", "pandas": "pandas", "numpy": "numpy", "matplotlib": "matplotlib",
    "seaborn": "seaborn", "scipy": "scipy", "albumentations": "albumentations", "torchmetrics": "torchmetrics",
    "gym": "gym", "spacy": "spacy", "nltk": "nltk", "cv2": "opencv", "PIL": "pillow",
}
TELEMETRY = {1: "torch", 2: "keras", 3: "tensorflow", 5: "sklearn", 6: "xgboost", 7: "catboost", 8: "lightgbm",
             9: "lightning", 11: "transformers", 12: "jax", 45: "jax", 50: "hydra", 51: "datasets", 63: "timm",
             71: "accelerate", 83: "diffusers", 100: "evaluate", 106: "lightning", 41: "torchvision", 35: "optuna"}
SMALL_FAST = ("diffusers", "accelerate", "einops", "timm", "evaluate")
CODE_LIB = pa.schema([("code_hash", pa.string()), ("lib", pa.string())])
FRAMEWORKS = ("torch", "tensorflow", "keras", "lightning", "xgboost", "lightgbm", "catboost", "jax")


def code_text(path: str, source: str) -> str:
    if path.endswith(".ipynb"):
        nb = json.loads(source)
        return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    return source


def libraries(path: str, source: str) -> set[str]:
    out = set()
    for m in IMPORT_RE.finditer(code_text(path, source)):
        if m.group(1):
            mod = m.group(1)
            if mod.startswith("."):
                continue
            names = [mod]
            if mod.startswith("tensorflow.keras") or (mod == "tensorflow" and re.search(r"\bkeras\b", m.group(2))):
                names.append("keras")
        else:
            names = [p.strip().split(" ")[0] for p in m.group(3).split(",")]
        for name in names:
            lib = LIBRARY.get(name.split(".")[0]) if name != "keras" else "keras"
            if lib:
                out.add(lib)
    return out


def build_db(landing: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    g = lambda e: f"read_parquet('{landing}/{e}/*/*.parquet')"  # noqa: E731
    con.sql(f"""create table runs as select * exclude (rn) from (select *, row_number() over
                (partition by run_id order by updated_at desc) rn from {g('runs')}) where rn = 1""")
    con.sql(f"""create table users as select * exclude (rn) from (select *, row_number() over
                (partition by user_id order by updated_at desc) rn from {g('users')}) where rn = 1""")
    con.sql(f"create table sweeps as select * from {g('sweeps')}")
    con.sql(f"create table artifacts as select * from {g('artifacts')}")
    con.sql(f"create table blobs as select * from {g('code_blobs')}")
    pairs = [(h, lib) for h, p, s in con.sql("select code_hash, path, source from blobs").fetchall() for lib in libraries(p, s)]
    code_lib = pa.table({"code_hash": [h for h, _ in pairs], "lib": [lib for _, lib in pairs]}, schema=CODE_LIB)
    tel_lib = pa.table({"num": list(TELEMETRY), "lib": list(TELEMETRY.values())})
    con.register("code_lib_arrow", code_lib)
    con.register("tel_lib_arrow", tel_lib)
    con.sql("create table code_lib as select * from code_lib_arrow")
    con.sql("create table tel_lib as select num::int num, lib from tel_lib_arrow")
    con.sql("""create table r as select run_id, user_id, created_at, year(created_at) y, quarter(created_at) q,
               coalesce(runtime_seconds, 0) / 3600 h, gpu, gpu_count, gpu_apple, tpu from runs""")
    con.sql("""create table run_lib as
               select run_id, lib from runs join code_lib using (code_hash)
               union
               select run_id, lib from (select run_id, unnest(telemetry_imports) num from runs) join tel_lib using (num)""")
    con.sql("""create table act as
               select user_id, year(created_at) y, quarter(created_at) q, 'run' src from runs where user_id is not null
               union all select user_id, year(created_at), quarter(created_at), 'sweep' from sweeps
               union all select user_id, year(created_at), quarter(created_at), 'artifact' from artifacts""")
    con.sql("create table au as select distinct user_id, y from act")
    return con


def rows(con, sql, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def by_year(con, sql) -> dict:
    return {r[0]: r[1:] if len(r) > 2 else r[1] for r in rows(con, sql)}


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> SimpleNamespace:
    landing = tmp_path_factory.mktemp("landing")
    summary = simulate(landing, date(2020, 1, 1), date(2023, 1, 1), scale=SCALE, seed=SEED, workers=2)
    return SimpleNamespace(landing=landing, summary=summary, con=build_db(landing))


def _read_all(landing: Path) -> dict[str, dict[str, bytes]]:
    return {e: {str(p.relative_to(landing)): p.read_bytes() for p in landing_files(landing, e)} for e in ENTITIES}


# -- determinism ------------------------------------------------------------------------------------------
def test_deterministic_and_independent_of_window_and_workers(tmp_path):
    kw = dict(scale=SCALE, seed=7)
    start, mid, end = date(2019, 3, 1), date(2019, 3, 6), date(2019, 3, 16)  # early: few profiles to write
    a, b, parts, c = (tmp_path / x for x in ("a", "b", "parts", "c"))
    sa = simulate(a, start, end, **kw)
    sb = simulate(b, start, end, **kw)
    fa = _read_all(a)
    assert fa == _read_all(b)  # same files, same bytes
    assert sa.runs == sb.runs > 0 and sa.code_blobs == sb.code_blobs > 0 and sa.active_users == sb.active_users
    # days do not depend on the window they were simulated in
    simulate(parts, start, mid, **kw)
    simulate(parts, mid, end, **kw)
    assert _read_all(parts) == fa
    # a rerun into a landing overwrites the same files (no duplicates)
    simulate(parts, start, end, **kw)
    assert _read_all(parts) == fa
    # another seed: other rows
    simulate(c, start, end, scale=SCALE, seed=8)
    ids = lambda root: set(pq.read_table(root / "runs").column("run_id").to_pylist())  # noqa: E731
    assert ids(a).isdisjoint(ids(c))
    assert _read_all(c)["code_blobs"].keys() != fa["code_blobs"].keys() or _read_all(c)["code_blobs"] != fa["code_blobs"]


def test_days_written_by_worker_processes_equal_days_generated_in_process(world, tmp_path):
    assert world.summary.workers == 2
    pop = build_population(SEED, SCALE, day_index(date(2023, 1, 1)))
    gen = DayGenerator(pop, tmp_path)
    for day in (date(2020, 1, 1), date(2021, 6, 30), date(2022, 12, 31)):
        gen.generate(day_index(day))
        for entity in ("runs", "sweeps", "artifacts", "code_blobs"):
            ours = {p.name: p.read_bytes() for p in landing_files(tmp_path, entity, day, day.fromordinal(day.toordinal() + 1))}
            theirs = {p.name: p.read_bytes() for p in landing_files(world.landing, entity, day, day.fromordinal(day.toordinal() + 1))}
            assert ours == theirs, (day, entity)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        simulate(tmp_path, date(2022, 1, 2), date(2022, 1, 1))
    with pytest.raises(ValueError):
        simulate(tmp_path, date(2022, 1, 1), date(2022, 1, 2), scale=0)


# -- the contract -------------------------------------------------------------------------------------------
def test_every_entity_written_with_the_contract_schema(world):
    for name, entity in ENTITIES.items():
        files = landing_files(world.landing, name)
        assert files, name
        assert all(p.name.startswith("sim-") and p.suffix == ".parquet" for p in files)
        for path in files[:: max(1, len(files) // 40)] + files[-1:]:  # a sample: the writer is shared
            schema = pq.read_schema(path).remove_metadata()
            assert schema.equals(entity.schema.remove_metadata()), (name, path)
        # the date folder is the UTC date of the event time
        bad = rows(world.con, f"""select count(*) from read_parquet('{world.landing}/{name}/*/*.parquet', hive_partitioning=true)
                                 where cast({entity.event_time} as date) <> cast(date as date)""")
        assert bad == [(0,)], name


def test_summary_matches_files(world):
    s: SimulationSummary = world.summary
    con = world.con
    assert s.runs == rows(con, "select count(*) from runs")[0][0]
    assert s.run_rows == rows(con, f"select count(*) from read_parquet('{world.landing}/runs/*/*.parquet')")[0][0] > s.runs
    assert s.sweeps == rows(con, "select count(*) from sweeps")[0][0]
    assert s.artifacts == rows(con, "select count(*) from artifacts")[0][0]
    assert s.code_blobs == rows(con, "select count(*) from blobs")[0][0]
    assert sum(s.runs_per_quarter.values()) == s.runs and len(s.runs_per_quarter) == 12
    assert s.active_users == rows(con, "select count(distinct user_id) from act")[0][0]
    assert s.counts["runs"] == s.run_rows


def test_referential_integrity_and_times(world):
    con = world.con
    # sweeps of runs belong to the same user and were created before the run
    assert rows(con, """select count(*) from runs r left join sweeps s using (sweep_id)
                        where r.sweep_id is not null and (s.sweep_id is null or s.user_id is distinct from r.user_id
                        or s.created_at > r.created_at)""") == [(0,)]
    assert rows(con, "select count(*) from runs where sweep_id is not null")[0][0] > 0.05 * world.summary.runs
    assert rows(con, """select count(*) from artifacts a left join runs r using (run_id)
                        where a.run_id is not null and (r.run_id is null or a.created_at < r.created_at)""") == [(0,)]
    # sign-up before first activity
    assert rows(con, """select count(*) from act a join users u using (user_id)
                        where a.y < year(u.signup_at)""") == [(0,)]
    assert rows(con, """select count(*) from runs r join users u using (user_id) where r.created_at <= u.signup_at""") == [(0,)]
    assert rows(con, """select count(*) from runs where started_at < created_at or updated_at < started_at
                        or (state = 'running') <> (runtime_seconds is null)""") == [(0,)]
    # run ids are unique per version; a few runs were also exported in an older "running" version
    dup = rows(con, f"""select count(*) from (select run_id from read_parquet('{world.landing}/runs/*/*.parquet')
                        group by run_id having count(*) > 1)""")[0][0]
    assert 0 < dup < 0.01 * world.summary.runs


# -- code blobs ---------------------------------------------------------------------------------------------
def test_code_blobs_once_per_hash_and_hash_is_sha256(world):
    con = world.con
    assert rows(con, "select count(*) - count(distinct code_hash) from blobs") == [(0,)]
    for h, source in rows(con, "select code_hash, source from blobs using sample 300 rows (reservoir, 1)"):
        assert hashlib.sha256(source.encode("utf-8")).hexdigest() == h
    assert rows(con, """select count(*) from (select distinct code_hash from runs where code_hash is not null)
                        anti join blobs using (code_hash)""") == [(0,)]
    # first_seen_at is the first run that saved it
    assert rows(con, """select count(*) from blobs b join (select code_hash, min(created_at) m from runs
                        where code_hash is not null group by 1) r using (code_hash) where b.first_seen_at <> r.m""") == [(0,)]
    distinct_ratio, no_code = rows(con, "select count(distinct code_hash) / count(*), avg((code_hash is null)::int) from runs")[0]
    assert 0.015 < distinct_ratio < 0.05
    assert 0.05 < no_code < 0.15


def test_code_looks_like_real_training_code(world):
    con = world.con
    sources = rows(con, "select path, source from blobs order by code_hash")
    joined = "\n".join(code_text(p, s) for p, s in sources[:3000])
    for needle in ("import torch", "from transformers import", "import tensorflow as tf", "from tensorflow import keras",
                   "import pytorch_lightning as pl", "import xgboost as xgb", "from sklearn.model_selection import train_test_split",
                   "import os", "except ImportError:", "    import matplotlib.pyplot as plt", "wandb.init("):
        assert needle in joined, needle
    notebooks = [s for p, s in sources if p.endswith(".ipynb")]
    assert 0.1 < len(notebooks) / len(sources) < 0.6
    nb = json.loads(notebooks[0])
    assert nb["nbformat"] == 4 and any(c["cell_type"] == "code" for c in nb["cells"])
    # Python 2 prints and syntax errors exist, rarely; everything else parses
    odd = [(p, s) for p, s in sources if 'print "' in code_text(p, s) or "def broken(x:" in s]
    assert 0 < len(odd) < 0.01 * len(sources)
    for p, s in odd[:5] + sources[:600]:
        text = "\n".join(x for x in code_text(p, s).splitlines() if not x.lstrip().startswith(("!", "%")))
        try:
            ast.parse(text)
            assert (p, s) not in odd
        except SyntaxError:
            assert (p, s) in odd


def test_telemetry_mostly_agrees_with_code(world):
    con = world.con
    share, agree = rows(con, """
        with t as (select run_id, code_hash, telemetry_imports from runs where telemetry_imports is not null and code_hash is not null),
        c as (select code_hash, list(distinct lib) libs from code_lib group by 1)
        select (select count(*) from runs where telemetry_imports is not null) / (select count(*) from runs),
               avg((list_contains(t.telemetry_imports, 1) = coalesce(list_contains(c.libs, 'torch'), false))::int)
        from t left join c using (code_hash)""")[0]
    assert 0.55 < share < 0.9
    assert 0.85 < agree < 1.0  # mostly, not always (transitive imports, optional imports)


# -- volume and users ------------------------------------------------------------------------------------------
def test_active_users_and_runs_per_year(world):
    con = world.con
    active = by_year(con, "select y, count(distinct user_id) from act group by y")
    assert active[2020] < active[2021] < active[2022]
    assert 160_000 < active[2022] / SCALE < 240_000  # "a little over 200,000 active users"
    runs = by_year(con, "select y, count(*) from r group by y")
    assert 110e6 < runs[2022] / SCALE < 140e6  # "nearly 125 million runs"
    assert runs[2020] < runs[2021] < runs[2022]
    # heavy tail: the top 1% of users run a large share of the runs
    top = rows(con, """select sum(n) filter (where rk <= greatest(1, (select count(distinct user_id) from r where y = 2022) / 100))
                              / sum(n) from (select user_id, count(*) n, row_number() over (order by count(*) desc) rk
                              from r where y = 2022 and user_id is not null group by 1)""")[0][0]
    assert top > 0.10
    p50, mx = rows(con, "select median(n), max(n) from (select user_id, count(*) n from r where y = 2022 and user_id is not null group by 1)")[0]
    assert mx > 50 * p50
    # anonymous runs (~0.5%) and runs of users without a profile (~0.2%)
    anon, ghost = rows(con, """select avg((user_id is null)::int),
                                      avg((user_id is not null and user_id not in (select user_id from users))::int) from runs""")[0]
    assert 0.0005 < anon < 0.01 and 0.0002 < ghost < 0.01


def test_some_active_users_have_no_runs(world):
    only = rows(world.con, """select y, q, count(*) filter (where not has_run) / count(*) from
                              (select user_id, y, q, bool_or(src = 'run') has_run from act group by all) group by y, q""")
    shares = [s for *_, s in only]
    assert all(s < 0.15 for s in shares) and sum(s > 0 for s in shares) >= 10


# -- demographics ---------------------------------------------------------------------------------------------
def test_us_leads_and_asia_rises(world):
    con = world.con
    top = by_year(con, """select y, arg_max(country_code, n) from (select y, country_code, count(*) n from au join users
                          using (user_id) where country_code is not null group by all) group by y""")
    assert top == {2020: "US", 2021: "US", 2022: "US"}
    asia = by_year(con, """select y, avg((country_code in ('CN','KR','JP','IN','TW','SG','HK','VN','ID','PK','BD','TH','MY','PH'))::int)
                           from au join users using (user_id) where country_code is not null group by y""")
    assert asia[2020] < asia[2021] < asia[2022] and asia[2022] > asia[2020] + 0.05
    # The talk's "almost 195 countries": the simulator knows that many, each a real ISO code.
    assert len(set(COUNTRIES)) == 195
    n_countries = rows(con, "select count(distinct country_code) from users")[0][0]
    assert n_countries > 40 and all(len(c) == 2 and c.isupper() for (c,) in rows(con, "select distinct country_code from users where country_code is not null"))


def test_professions_grow_personal_fastest(world):
    n = {(y, p): c for y, p, c in rows(world.con, "select y, profession, count(*) from au join users using (user_id) group by all")}
    for p in ("academic", "corporate", "personal"):
        assert n[2020, p] < n[2021, p] < n[2022, p], p
    growth = {p: n[2022, p] / n[2020, p] for p in ("academic", "corporate", "personal")}
    assert growth["personal"] > 1.5 * max(growth["academic"], growth["corporate"])


def test_industries_high_tech_dominates_healthcare_gains_most(world):
    share = {(y, i): s for y, i, s in rows(world.con, """select y, industry, n / sum(n) over (partition by y) from
             (select y, industry, count(*)::double n from au join users using (user_id)
              where profession = 'corporate' and industry is not null group by all)""")}
    industries = {i for _, i in share}
    assert len(industries) == 8
    for y in (2020, 2021, 2022):
        assert max(industries, key=lambda i: share.get((y, i), 0)) == "High tech"
    gain = {i: share.get((2022, i), 0) - share.get((2020, i), 0) for i in industries}
    assert max(gain, key=gain.get) == "Healthcare & life sciences" and gain["Healthcare & life sciences"] > 0.08


# -- frameworks -------------------------------------------------------------------------------------------------
def _framework_table(con) -> dict:
    return {(y, lib): (u, n, h) for y, lib, u, n, h in rows(con, """select y, lib, count(distinct user_id), count(*), sum(h)
            from r join run_lib using (run_id) group by all""")}


def test_torch_leads_tensorflow_and_the_gap_widens_faster_in_runs_and_hours(world):
    t = _framework_table(world.con)
    for y in (2020, 2021, 2022):
        assert all(a > b for a, b in zip(t[y, "torch"], t[y, "tensorflow"])), y
    ratio = {(y, k): t[y, "torch"][k] / t[y, "tensorflow"][k] for y in (2020, 2022) for k in range(3)}
    users_widening = ratio[2022, 0] / ratio[2020, 0]
    assert users_widening > 1.2
    assert ratio[2022, 1] / ratio[2020, 1] > 1.15 * users_widening  # runs
    assert ratio[2022, 2] / ratio[2020, 2] > 1.15 * users_widening  # hours
    # Torch users run longer runs than TensorFlow users
    med = dict(rows(world.con, """select lib, median(h) from r join run_lib using (run_id)
                                  where lib in ('torch', 'tensorflow') and y = 2022 group by lib"""))
    assert med["torch"] > 1.5 * med["tensorflow"]


def test_keras_leads_lightning_in_users_lightning_leads_in_runs_and_hours(world):
    t = _framework_table(world.con)
    for y in (2020, 2021, 2022):
        keras, light = t[y, "keras"], t[y, "lightning"]
        assert keras[0] > light[0] and light[1] > keras[1] and light[2] > keras[2], y


def test_boosted_trees_many_short_runs(world):
    con = world.con
    stats = {lib: (n / u, med) for lib, u, n, med in rows(con, """select lib, count(distinct user_id), count(*), median(h) * 3600
             from r join run_lib using (run_id) where y = 2022 group by lib""")}
    for lib in ("xgboost", "lightgbm", "catboost"):
        assert stats[lib][1] < 120 < stats["torch"][1] / 5, lib  # median runtime: seconds, not tens of minutes
        assert stats[lib][0] > stats["tensorflow"][0], lib  # runs per user


def test_torch_more_academic_corporates_use_more_of_everything_else(world):
    con = world.con
    share = {(lib, p): s for lib, p, s in rows(con, """
        with users_p as (select distinct a.user_id, profession from au a join users using (user_id)
                         where y = 2022 and profession in ('academic', 'corporate')),
             uses as (select distinct user_id, lib from r join run_lib using (run_id) where y = 2022)
        select lib, profession, count(*) / any_value(n) from uses join users_p using (user_id)
        join (select profession, count(*) n from users_p group by 1) using (profession) group by all""")}
    assert share["torch", "academic"] > share["torch", "corporate"] + 0.05
    for lib in ("tensorflow", "keras", "lightning", "xgboost", "jax"):
        assert share.get((lib, "corporate"), 0) > share.get((lib, "academic"), 0), lib
    boosted = lambda p: sum(share.get((b, p), 0) for b in ("xgboost", "lightgbm", "catboost"))  # noqa: E731
    assert boosted("corporate") > 2 * boosted("academic")
    # Torch is still the favourite of both
    for p in ("academic", "corporate"):
        assert max(FRAMEWORKS, key=lambda lib: share.get((lib, p), 0)) == "torch"


def test_q4_2022_library_growth(world):
    g = {lib: (u4 / u3, n4 / n3, u3) for lib, u3, u4, n3, n4 in rows(world.con, """
         select lib, count(distinct user_id) filter (where q = 3), count(distinct user_id) filter (where q = 4),
                count(*) filter (where q = 3), count(*) filter (where q = 4)
         from r join run_lib using (run_id) where y = 2022 and q in (3, 4) group by lib
         having count(distinct user_id) filter (where q = 3) > 0""")}
    for lib in ("transformers", "hydra"):
        assert g[lib][0] > 1.5 and g[lib][1] > 1.5, (lib, g[lib])
    small = rows(world.con, f"""select count(distinct user_id) filter (where q = 4) / count(distinct user_id) filter (where q = 3),
                                      count(*) filter (where q = 4) / count(*) filter (where q = 3)
                               from r join run_lib using (run_id) where y = 2022 and lib in {SMALL_FAST}""")[0]
    assert small[0] > 2.0 and small[1] > 2.0
    steady = sorted(v[0] for lib, v in g.items() if lib not in (*SMALL_FAST, "transformers", "hydra") and v[2] >= 20)
    assert len(steady) >= 8 and 1.0 <= steady[len(steady) // 2] <= 1.3  # most grow like the platform


# -- hardware -----------------------------------------------------------------------------------------------------
def _gpu_users(con) -> dict:
    return {(y, g): n for y, g, n in rows(con, """select y, coalesce(regexp_replace(gpu, '^NVIDIA ', ''),
            case when gpu_apple then 'Apple' when tpu is not null then 'TPU' else 'unidentified' end), count(distinct user_id)
            from r group by all""")}


def test_gpu_mix_and_generations(world):
    u = _gpu_users(world.con)
    for y in (2020, 2021, 2022):
        total = sum(n for (yy, _), n in u.items() if yy == y)
        apple = sum(n for (yy, g), n in u.items() if yy == y and g.startswith("Apple"))
        unknown = u.get((y, "unidentified"), 0)
        nvidia = total - apple - unknown - u.get((y, "TPU"), 0)
        assert nvidia > 0.7 * total and unknown > 0
        if y == 2022:
            assert 0 < apple < 0.1 * total
    old = lambda y: sum(n for (yy, g), n in u.items() if yy == y and re.match(r"GeForce (GTX 10|RTX 20)", g))  # noqa: E731
    new = lambda y: sum(n for (yy, g), n in u.items() if yy == y and re.match(r"GeForce RTX (30|40)", g))  # noqa: E731
    assert new(2020) < old(2020) and new(2022) > old(2022)
    a100 = lambda y: sum(n for (yy, g), n in u.items() if yy == y and "A100" in g)  # noqa: E731
    assert a100(2022) > 3 * a100(2020)
    names = {g for _, g in u}
    assert {"Tesla V100-SXM2-16GB", "Tesla T4", "Tesla K80", "GeForce GTX 1080 Ti", "A100-SXM4-40GB"} <= names


def test_single_gpu_users_dominate_big_boxes_gain_hours(world):
    con = world.con
    b = {(y, k): (u, h) for y, k, u, h in rows(con, """select y, case when gpu_count is null then 'none' when gpu_count = 1 then '1'
         when gpu_count <= 8 then '2-8' else '9+' end, count(distinct user_id), sum(h) from r group by all""")}
    hours = lambda y: sum(h for (yy, _), (_, h) in b.items() if yy == y)  # noqa: E731
    for y in (2020, 2021, 2022):
        assert b[y, "1"][0] > b[y, "2-8"][0] and b[y, "1"][0] > b.get((y, "9+"), (0, 0))[0]
    assert b[2022, "9+"][1] / hours(2022) > 2 * b.get((2020, "9+"), (0, 0))[1] / hours(2020)


def test_environment_fields(world):
    con = world.con
    hosts = [h for (h,) in rows(con, "select distinct host from runs where host is not null")]
    assert any(re.fullmatch(r"ip-172-31-\d+-\d+", h) for h in hosts)
    assert any(re.fullmatch(r".+\.c\.[a-z0-9-]+\.internal", h) for h in hosts)
    assert any(h.endswith(".internal.cloudapp.net") for h in hosts)
    assert any(re.fullmatch(r"[0-9a-f]{12}", h) for h in hosts)  # hosted notebooks
    env = {e for (e,) in rows(con, "select distinct unnest(telemetry_env) from runs")}
    assert {2, 12} <= env
    assert rows(con, "select count(*) from runs where user_id is null and host is not null") == [(0,)]
    media = {m for (m,) in rows(con, "select distinct unnest(media_types) from runs")}
    assert {"image", "table", "histogram", "audio", "video", "html", "object3D", "molecule"} <= media
    tpu, ipu, arch, apple_named, states = rows(con, """select count(*) filter (where tpu is not null), count(*) filter (where ipu_count > 0),
        count(*) filter (where gpu_architecture is not null), count(*) filter (where gpu like 'Apple M%'), list(distinct state) from runs""")[0]
    assert tpu > 0 and ipu > 0 and 0 < arch < 0.5 * world.summary.runs and apple_named > 0
    assert set(states) == {"finished", "failed", "crashed", "killed", "running"}
    assert rows(con, "select count(*) from runs where gpu like 'NVIDIA%' and gpu_architecture is null")[0][0] > 0
