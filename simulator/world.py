"""The simulated world: calibration tables and the user population.

Everything that the report's charts measure is decided here, as tables that change with time
(``yf`` = fractional calendar year, e.g. 2022.75 = 1 October 2022). Values between knots are
linearly interpolated and held flat outside them. The numbers are chosen so that the findings of
the talk (``/work/shared/seed``) are visible even on a 1/500 sample; comments say why.

The population is generated month by month (a month's sign-ups depend only on the seed, the scale
and the month), so simulating 2022Q4 alone or 2020-2022 at once gives the same people.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import numpy as np
import pyarrow as pa

from .randomness import day_rng, uniform

# -- calendar ------------------------------------------------------------------------------------
EPOCH = date(2018, 1, 1)  # the platform's first users; day index 0
EPOCH_US = int(datetime(2018, 1, 1, tzinfo=timezone.utc).timestamp() * 1_000_000)
DAY_US = 86_400_000_000
MAX_SCRIPTS = 8  # scripts per user (padded matrices)
MAX_MACHINES = 3


def day_index(d: date) -> int:
    return (d - EPOCH).days


def day_date(i: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(i))


def yf_of_day(d) -> np.ndarray | float:
    """Fractional year of a day index (2018.0 = 1 Jan 2018)."""
    return 2018.0 + np.asarray(d, dtype=np.float64) / 365.25


def month_start_day(m: int) -> int:
    return day_index(date(2018 + m // 12, m % 12 + 1, 1))


def interp_table(yf, knots: list[float], table: np.ndarray) -> np.ndarray:
    """Rows of ``table`` (knots x k) interpolated at each ``yf``; rows renormalised to sum 1."""
    yf = np.atleast_1d(np.asarray(yf, dtype=np.float64))
    out = np.empty((len(yf), table.shape[1]))
    for j in range(table.shape[1]):
        out[:, j] = np.interp(yf, knots, table[:, j])
    out = np.clip(out, 0.0, None)
    return out / out.sum(axis=1, keepdims=True)


def choose_rows(probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF choice per row: ``probs`` (n x k), ``u`` uniforms (n,)."""
    cdf = np.cumsum(probs, axis=1)
    cdf[:, -1] = 1.0 + 1e-9
    return (cdf <= u[:, None]).sum(axis=1).astype(np.int16)


# -- volume: runs per quarter at scale 1 -----------------------------------------------------------
# Millions of runs. The talk: "nearly 125 million runs" in 2022 (~31M a quarter); 2020 and 2021
# smaller. Q4 2022 / Q3 2022 = 1.11, so "most libraries grow ~1.0-1.2x" quarter on quarter and
# only the ones with a real adoption jump (below) stand out.
QUARTER_RUNS_M = {
    2018: (0.25, 0.40, 0.60, 0.90),
    2019: (1.20, 1.60, 2.10, 2.80),
    2020: (3.80, 4.50, 5.30, 6.40),  # 20 M
    2021: (10.5, 12.8, 14.6, 17.1),  # 55 M
    2022: (27.5, 30.0, 32.0, 35.5),  # 125 M
}
_LATER_GROWTH = 1.06  # per quarter after 2022 (only used if someone simulates 2023+)


def _quarter_runs(year: int, q: int) -> float:
    if year in QUARTER_RUNS_M:
        return QUARTER_RUNS_M[year][q - 1] * 1e6
    if year < 2018:
        return QUARTER_RUNS_M[2018][0] * 1e6 * 0.8 ** ((2018 - year) * 4 - (q - 1))
    n = (year - 2022) * 4 + (q - 4)
    return QUARTER_RUNS_M[2022][3] * 1e6 * _LATER_GROWTH**n


def _daily_knots() -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for year in range(2017, 2031):
        for q in range(1, 5):
            start = day_index(date(year, 3 * q - 2, 1))
            end = day_index(date(year + (q == 4), (3 * q) % 12 + 1, 1))
            xs.append((start + end) / 2)
            ys.append(_quarter_runs(year, q) / (end - start))
    return np.asarray(xs), np.asarray(ys)


_DAILY_X, _DAILY_Y = _daily_knots()
# Weekends are quieter (people launch fewer runs); the mean factor over a week is 1.
WEEKDAY_FACTOR = np.array([1.08, 1.08, 1.08, 1.08, 1.08, 0.80, 0.80])


def weekday(d: np.ndarray | int) -> np.ndarray:
    return (np.asarray(d) + EPOCH.weekday()) % 7


def target_runs(d: int, scale: float) -> float:
    """Expected runs on day ``d`` at ``scale`` (smooth between quarter midpoints)."""
    return float(np.interp(d, _DAILY_X, _DAILY_Y)) * WEEKDAY_FACTOR[weekday(d)] * scale


# Who gets the day's runs: accounts (user_id set) and anonymous sessions (user_id null: ~0.5% of
# runs). Each group is normalised separately so that the anonymous share holds at any scale.
GROUP_SHARE = {"account": 0.995, "anonymous": 0.005}
KIND_REGISTERED, KIND_GHOST, KIND_ANON = 0, 1, 2
# Accounts deleted since (their runs reference a user_id that has no profile): 1% of sign-ups with
# a fifth of the usual intensity, ~0.2% of runs.
GHOST_P, GHOST_WEIGHT = 0.01, 0.2

# -- arrivals: sign-ups per month at scale 1 -------------------------------------------------------
# Calibrated (see tests/unit/test_simulator.py::test_active_users_calibration) so that active
# users per year are ~50k (2020), ~110k (2021) and ~200k (2022): the talk's "a little bit over
# 200,000 active users" in 2022, with the growth the report shows.
SIGNUP_KNOTS = [2018.0, 2019.0, 2020.0, 2021.0, 2022.0, 2023.0, 2025.0]
SIGNUPS_PER_MONTH = [700, 1_250, 2_100, 5_300, 11_800, 15_500, 22_000]
ANON_PER_MONTH = 1_500  # anonymous (no account) notebook users, active for a few weeks

# -- engagement classes ----------------------------------------------------------------------------
# Most sign-ups try the product for a few days; some use it for a project; a quarter become
# regulars for years. This mix plus the per-user intensity (lognormal) makes runs per active user
# heavy-tailed: the median user logs tens of runs a year, a few sweep-heavy users hundreds of
# thousands.
# Each tuple below is indexed by engagement class: (tryout, project, regular).
ENGAGEMENT_P = {  # by profession: hobbyists churn more, corporates stay
    "academic": (0.38, 0.37, 0.25),
    "corporate": (0.33, 0.37, 0.30),
    "personal": (0.48, 0.34, 0.18),
    None: (0.40, 0.36, 0.24),
}
LIFETIME_MEAN_DAYS = (4.0, 100.0, 650.0)
P_ACTIVE_RANGE = ((0.45, 0.7), (0.10, 0.35), (0.06, 0.30))
WEIGHT_FACTOR = (0.35, 1.0, 1.8)  # regulars run more per active day
SCRIPTS_LAMBDA = (0.15, 1.0, 3.0)
ARTIFACT_ONLY_P = 0.02  # data curators: log datasets, never a run (active via artifacts only)
SWEEP_ONLY_P = 0.012  # create sweeps that others' agents (or nobody) run
NEVER_SAVES_CODE_P = 0.05  # users who disabled code saving; plus a 5% daily chance for others
SWEEPER_P = 0.22  # users who sometimes launch sweeps
SWEEP_BOOST = 6.0  # a sweep day launches many more runs

# -- demographics ----------------------------------------------------------------------------------
# Country weights (percent of sign-ups) in 2020 and in 2022, interpolated by sign-up date. The US
# leads throughout; China, South Korea, Japan, India and the rest of Asia rise from 2021 (the
# talk); Western Europe stays strong but loses share. The long tail gives ~195 countries at full
# scale.
_COUNTRY_TOP = {
    #      2020  2022
    "US": (27.0, 18.0),
    "CN": (2.5, 11.0),
    "IN": (5.0, 8.5),
    "KR": (1.8, 7.5),
    "JP": (2.0, 6.0),
    "GB": (5.5, 4.0),
    "DE": (5.0, 3.8),
    "CA": (4.2, 3.1),
    "FR": (3.5, 2.6),
    "TW": (0.6, 2.0),
    "SG": (0.8, 1.5),
    "BR": (1.8, 1.5),
    "AU": (2.0, 1.5),
    "RU": (1.8, 1.1),
    "NL": (1.6, 1.2),
    "CH": (1.5, 1.1),
    "ES": (1.5, 1.2),
    "IT": (1.5, 1.2),
    "IL": (1.4, 1.0),
    "VN": (0.4, 1.3),
    "HK": (0.5, 1.1),
    "ID": (0.4, 1.1),
    "SE": (1.0, 0.8),
    "PL": (0.9, 0.8),
    "TR": (0.8, 0.8),
    "IR": (0.7, 0.7),
    "PK": (0.5, 0.7),
    "BD": (0.3, 0.6),
    "TH": (0.3, 0.6),
    "MY": (0.3, 0.5),
    "PH": (0.3, 0.5),
    "MX": (0.6, 0.6),
    "BE": (0.6, 0.5),
    "AT": (0.5, 0.4),
    "DK": (0.5, 0.4),
    "FI": (0.5, 0.4),
    "NO": (0.4, 0.3),
    "IE": (0.5, 0.4),
    "PT": (0.5, 0.4),
    "CZ": (0.4, 0.35),
    "UA": (0.6, 0.4),
    "GR": (0.35, 0.3),
    "AR": (0.35, 0.3),
    "CO": (0.3, 0.3),
    "CL": (0.3, 0.25),
    "EG": (0.3, 0.35),
    "NG": (0.25, 0.35),
    "ZA": (0.3, 0.3),
    "KE": (0.15, 0.2),
    "NZ": (0.3, 0.25),
    "HU": (0.25, 0.2),
    "RO": (0.25, 0.2),
    "AE": (0.2, 0.25),
    "SA": (0.2, 0.25),
}
# The tail: real ISO 3166-1 alpha-2 codes with small, Zipf-like weights, cut so that there are
# N_COUNTRIES in all: at full scale (~100 k active users a quarter) nearly every listed country has
# a user, and the talk counts "almost 195 countries" (all 223 listed gave 222 in a 2022 quarter).
N_COUNTRIES = 195
_COUNTRY_TAIL = (
    "PE VE EC UY BO PY CR PA GT DO HN SV NI CU JM TT BS BB PR "
    "BG RS HR SI SK LT LV EE BY MD BA MK AL ME IS LU MT CY GE AM AZ KZ UZ KG TJ TM MN "
    "NP LK MM KH LA BN MO BT MV AF IQ JO LB SY PS KW QA BH OM YE "
    "MA DZ TN LY SD ET GH CI SN CM UG TZ RW ZM ZW MZ AO NA BW MW MG MU BJ BF ML NE TG GN SL LR "
    "GA CG CD CF TD SO DJ ER SS GM GW CV ST GQ KM SC LS SZ "
    "FJ PG SB VU WS TO KI FM MH PW NR TV "
    "LI MC SM AD VA GL FO GI IM JE GG AX "
    "BZ GY SR HT AG DM GD KN LC VC AW CW SX BM KY VG TC AI MS "
    "RE GP MQ GF YT NC PF TL GU MP AS VI"
).split()[: N_COUNTRIES - len(_COUNTRY_TOP)]
COUNTRIES: list[str] = list(_COUNTRY_TOP) + _COUNTRY_TAIL
_tail_w = 0.22 / (np.arange(len(_COUNTRY_TAIL)) + 3.0) ** 0.85
COUNTRY_KNOTS = [2020.25, 2022.25]
COUNTRY_TABLE = np.array(
    [
        [v[0] for v in _COUNTRY_TOP.values()] + list(_tail_w * 1.0),
        [v[1] for v in _COUNTRY_TOP.values()] + list(_tail_w * 1.25),
    ]
)
COUNTRY_NULL_P = 0.03

# Professions (academic, corporate, personal) of new sign-ups. All three grow in absolute terms
# with the user base; hobbyists ("personal") grow fastest (the talk's "acceleration in usage among
# personal users and hobbyists").
PROFESSIONS = ("academic", "corporate", "personal")
PROFESSION_KNOTS = [2019.0, 2020.5, 2022.5]
PROFESSION_TABLE = np.array([[0.47, 0.39, 0.14], [0.45, 0.38, 0.17], [0.36, 0.31, 0.33]])
PROFESSION_NULL_P = 0.06

# Industries of corporate users. High tech dominates; healthcare & life sciences gains share
# fastest (the talk's 100% chart) - strongly, so that a 1/500 sample (~40 corporate users in
# 2020) still shows it.
INDUSTRIES = (
    "High tech",
    "Healthcare & life sciences",
    "Finance",
    "Retail & e-commerce",
    "Manufacturing",
    "Automotive",
    "Media & entertainment",
    "Energy",
)
INDUSTRY_KNOTS = [2020.25, 2022.25]
INDUSTRY_TABLE = np.array(
    [
        [0.52, 0.03, 0.11, 0.09, 0.08, 0.08, 0.05, 0.04],
        [0.37, 0.22, 0.10, 0.08, 0.07, 0.07, 0.05, 0.04],
    ]
)
INDUSTRY_NULL_P = 0.04
HEALTHCARE = 1

# -- frameworks ------------------------------------------------------------------------------------
# Each script has one primary "stack". Probabilities by profession at 2020 and 2022 (extrapolated
# linearly, clipped). Torch rises and TensorFlow falls; academics use more Torch, corporates more
# of everything else (TF, Keras, Lightning, JAX, boosted trees, sklearn). The talk calls the gap
# slight; it is made wide enough to survive a 1/500 sample.
S_TORCH, S_LIGHTNING, S_TFKERAS, S_TF, S_KERAS, S_JAX, S_XGB, S_LGBM, S_CAT, S_SKLEARN, S_OTHER = range(11)
STACK_KNOTS = [2020.0, 2022.0]
STACK_TABLE = {
    #                 torch light tfk   tf    keras jax   xgb   lgbm  cat   skl   other
    "academic": np.array(
        [[0.59, 0.070, 0.130, 0.050, 0.035, 0.012, 0.010, 0.005, 0.003, 0.030, 0.040],
         [0.73, 0.050, 0.085, 0.030, 0.022, 0.012, 0.008, 0.004, 0.002, 0.025, 0.028]]),
    "corporate": np.array(
        [[0.24, 0.170, 0.260, 0.085, 0.095, 0.065, 0.055, 0.035, 0.018, 0.045, 0.015],
         [0.35, 0.160, 0.180, 0.055, 0.070, 0.070, 0.055, 0.035, 0.018, 0.045, 0.015]]),
    "personal": np.array(
        [[0.43, 0.070, 0.210, 0.060, 0.080, 0.020, 0.035, 0.020, 0.010, 0.045, 0.030],
         [0.57, 0.060, 0.150, 0.035, 0.050, 0.025, 0.030, 0.020, 0.010, 0.035, 0.020]]),
}
STACK_TABLE[None] = (STACK_TABLE["academic"] + STACK_TABLE["corporate"] + STACK_TABLE["personal"]) / 3
USER_STACK_AFFINITY = 0.7  # chance a new script uses the user's "own" quantile (keeps people loyal)

# Runs per active day relative to the user's base intensity, by stack (at yf 2020 and 2022).
# Torch users run more and more (sweeps, bigger projects) while TF users run fewer: the Torch lead
# widens more steeply in runs and hours than in users. Lightning users run 10-20x a Keras user (few,
# sweep-heavy early adopters in 2020), so Lightning leads Keras in runs and hours though Keras has
# more users. Boosted trees: many runs.
STACK_RUN_MULT = np.array(
    [
        [1.00, 2.20],  # torch
        [14.0, 6.00],  # lightning
        [0.65, 0.45],  # tf_keras
        [0.75, 0.50],  # tf
        [0.55, 0.40],  # keras
        [1.40, 1.50],  # jax
        [3.00, 3.00],  # xgboost
        [3.00, 3.00],  # lightgbm
        [2.50, 2.50],  # catboost
        [1.50, 1.50],  # sklearn
        [0.60, 0.60],  # other
    ]
)
# Median wall-clock seconds of a run (lognormal), by stack, at 2020 and 2022: Torch runs are
# longer than TensorFlow's (the talk), boosted trees and sklearn fits are short.
STACK_RUNTIME_MEDIAN = np.array(
    [
        [1300, 2100],  # torch
        [900, 2600],  # lightning (2020: many short sweep trials)
        [900, 750],  # tf_keras
        [1000, 850],  # tf
        [700, 550],  # keras
        [1800, 2000],  # jax
        [45, 45],  # xgboost
        [30, 30],  # lightgbm
        [70, 70],  # catboost
        [12, 12],  # sklearn
        [240, 240],  # other
    ],
    dtype=np.float64,
)
RUNTIME_SIGMA = 1.15


def stack_run_mult(stack: np.ndarray, yf: float) -> np.ndarray:
    w = np.clip((yf - 2020.0) / 2.0, -0.5, 1.5)
    m = STACK_RUN_MULT[:, 0] + (STACK_RUN_MULT[:, 1] - STACK_RUN_MULT[:, 0]) * w
    return np.clip(m, 0.2, None)[stack]


def stack_runtime_median(stack: np.ndarray, yf: float) -> np.ndarray:
    w = np.clip((yf - 2020.0) / 2.0, -0.5, 1.5)
    m = STACK_RUNTIME_MEDIAN[:, 0] + (STACK_RUNTIME_MEDIAN[:, 1] - STACK_RUNTIME_MEDIAN[:, 0]) * w
    return m[stack]


# Tasks decide media types, project names, model code and which libraries fit.
TASKS = ("vision", "nlp", "tabular", "audio", "rl", "generative", "graph", "molecule", "timeseries")
T_VISION, T_NLP, T_TABULAR, T_AUDIO, T_RL, T_GEN, T_GRAPH, T_MOL, T_TS = range(9)
_DEEP_TASKS = [0.40, 0.28, 0.02, 0.05, 0.07, 0.08, 0.03, 0.03, 0.04]
TASK_BY_STACK = np.array(
    [
        _DEEP_TASKS,  # torch
        _DEEP_TASKS,  # lightning
        [0.48, 0.20, 0.08, 0.05, 0.03, 0.05, 0.01, 0.02, 0.08],  # tf_keras
        [0.45, 0.20, 0.10, 0.05, 0.05, 0.04, 0.01, 0.02, 0.08],  # tf
        [0.50, 0.18, 0.10, 0.04, 0.02, 0.04, 0.01, 0.02, 0.09],  # keras
        [0.30, 0.30, 0.02, 0.02, 0.18, 0.14, 0.02, 0.01, 0.01],  # jax
        [0.0, 0.0, 0.9, 0.0, 0.0, 0.0, 0.0, 0.02, 0.08],  # xgboost
        [0.0, 0.0, 0.9, 0.0, 0.0, 0.0, 0.0, 0.02, 0.08],  # lightgbm
        [0.0, 0.0, 0.95, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05],  # catboost
        [0.05, 0.05, 0.75, 0.0, 0.0, 0.0, 0.0, 0.03, 0.12],  # sklearn
        [0.15, 0.10, 0.10, 0.05, 0.45, 0.05, 0.02, 0.03, 0.05],  # other
    ]
)
TASK_BY_STACK = TASK_BY_STACK / TASK_BY_STACK.sum(axis=1, keepdims=True)
HEALTHCARE_MOLECULE_BOOST = 0.25  # healthcare companies: a quarter of scripts are molecules/medical

NOTEBOOK_P = {"academic": 0.28, "corporate": 0.22, "personal": 0.45, None: 0.35}
NOTEBOOK_EPOCH_DAYS = (2, 7)  # notebooks are edited often
SCRIPT_EPOCH_DAYS = (3, 18)  # a new version of a script every 3-18 days of its life

# Machine kinds (see hardware.py) by profession at sign-up: academics on university clusters,
# corporates on clouds and DGX boxes, hobbyists on Colab, Kaggle, gaming PCs and Macs.
MACHINE_KINDS = ("laptop", "mac", "workstation", "hpc", "aws", "gcp", "azure", "colab", "kaggle", "dgx", "tpu", "ipu")
MACHINE_KNOTS = [2020.0, 2022.5]
MACHINE_TABLE = {
    #                  lap   mac   ws    hpc   aws   gcp   az    colab kag   dgx   tpu   ipu
    "academic": np.array(
        [[0.05, 0.04, 0.26, 0.35, 0.05, 0.04, 0.01, 0.15, 0.02, 0.015, 0.012, 0.003],
         [0.04, 0.06, 0.25, 0.35, 0.05, 0.04, 0.01, 0.14, 0.02, 0.025, 0.012, 0.003]]),
    "corporate": np.array(
        [[0.05, 0.04, 0.16, 0.03, 0.24, 0.14, 0.08, 0.07, 0.02, 0.09, 0.010, 0.005],
         [0.04, 0.06, 0.15, 0.03, 0.23, 0.14, 0.08, 0.06, 0.02, 0.14, 0.010, 0.005]]),
    "personal": np.array(
        [[0.08, 0.06, 0.29, 0.00, 0.04, 0.03, 0.01, 0.31, 0.12, 0.00, 0.010, 0.000],
         [0.06, 0.09, 0.30, 0.00, 0.04, 0.03, 0.01, 0.30, 0.12, 0.00, 0.010, 0.000]]),
}
MACHINE_TABLE[None] = (MACHINE_TABLE["academic"] + MACHINE_TABLE["corporate"] + MACHINE_TABLE["personal"]) / 3
ANON_MACHINES = np.array([0.10, 0.05, 0.05, 0.0, 0.0, 0.0, 0.0, 0.70, 0.10, 0.0, 0.0, 0.0])

# -- population ------------------------------------------------------------------------------------
_FIRST = (
    "alex sam jordan taylor chris pat kim lee max ana maria juan li wei jun hao yuki sora min ji "
    "priya rahul arjun amit neha sara omar ali fatima noah emma liam olivia lucas mia leo nina "
    "ivan olga dmitri anna tom ben kate john mike dave sofia marco luca hans eva jan"
).split()
_LAST = (
    "smith chen wang zhang liu kim park lee nguyen tran patel shah singh kumar garcia lopez muller "
    "schmidt rossi tanaka sato suzuki ito brown jones miller davis wilson moore taylor martin "
    "dubois silva santos costa cohen levi novak ivanov petrov yilmaz khan ahmed"
).split()


@dataclass
class Population:
    """Everyone who signed up (or ran anonymously) before the end of the simulation, as parallel arrays."""

    seed: int
    scale: float
    n: int
    kind: np.ndarray  # int8: 0 registered, 1 ghost (no profile), 2 anonymous
    signup_us: np.ndarray  # int64 epoch microseconds
    first_day: np.ndarray  # int32 day index of first activity (>= sign-up day)
    last_day: np.ndarray  # int32
    p_active: np.ndarray  # float32 chance of activity on a day of the active span
    weight: np.ndarray  # float32 run intensity
    sweep_p: np.ndarray  # float32 chance a day is a sweep day
    act_type: np.ndarray  # int8: 0 runs, 1 artifacts only, 2 sweeps only
    nosave_p: np.ndarray  # float32 chance a day's runs save no code
    country: np.ndarray  # int16 index into COUNTRIES, -1 unknown
    profession: np.ndarray  # int8 index into PROFESSIONS, -1 unknown
    industry: np.ndarray  # int8 index into INDUSTRIES, -1 none
    v2_us: np.ndarray  # int64: a second profile version's updated_at, -1 if none
    v2_profession: np.ndarray  # int8 profession after the update (fills blanks)
    v2_country: np.ndarray  # int16
    n_scripts: np.ndarray  # int8
    script_birth: np.ndarray  # (n, 8) int32 day index (huge when absent)
    script_stack: np.ndarray  # (n, 8) int8
    script_task: np.ndarray  # (n, 8) int8
    script_nb: np.ndarray  # (n, 8) bool
    script_epoch: np.ndarray  # (n, 8) int16 days per version
    script_name: np.ndarray  # (n, 8) int16 file-name choice
    script_project: np.ndarray  # (n, 8) int16 project-name choice
    n_machines: np.ndarray  # int8
    machine_kind: np.ndarray  # (n, 3) int8
    user_num: np.ndarray  # int64 account number
    name_parts: np.ndarray = field(repr=False)  # (n, 3) int16: first name, last name, style
    user_id: pa.Array = field(repr=False)  # strings (null for anonymous)

    def username(self, u: int) -> str:
        """A handle such as ``weichen1a2`` (unique: it ends with the account number in base 36)."""
        f, last, style = (int(x) for x in self.name_parts[u])
        first, last = _FIRST[f], _LAST[last]
        stem = (f"{first}{last}", f"{first[0]}{last}", f"{first}-{last}", f"{first}_{last[0]}", f"{last}{first[0]}",
                f"{first}{last[:3]}")[style]
        return stem + _base36(int(self.user_num[u]))

    # -- activity predicates (pure functions of seed, user, day: usable for any day) -------------
    def in_span(self, u: np.ndarray, d) -> np.ndarray:
        return (self.first_day[u] <= d) & (d <= self.last_day[u])

    def is_active(self, u: np.ndarray, d) -> np.ndarray:
        d = np.broadcast_to(np.asarray(d), u.shape)
        p = self.p_active[u] * (WEEKDAY_FACTOR[weekday(d)] ** 2)
        hit = uniform(self.seed, 11, u, d) < p
        return self.in_span(u, d) & (hit | (d == self.first_day[u]))

    def focus_slot(self, u: np.ndarray, d) -> np.ndarray:
        """The script a user works on that day: usually the newest one born so far."""
        d = np.broadcast_to(np.asarray(d), u.shape)
        n_born = (self.script_birth[u] <= d[:, None]).sum(axis=1)
        n_born = np.maximum(n_born, 1)
        g = np.floor(np.log1p(-uniform(self.seed, 12, u, d)) / np.log(0.45)).astype(np.int64)
        return (n_born - 1 - np.minimum(g, n_born - 1)).astype(np.int64)

    def saves_code(self, u: np.ndarray, d) -> np.ndarray:
        d = np.broadcast_to(np.asarray(d), u.shape)
        return uniform(self.seed, 13, u, d) >= self.nosave_p[u]

    def candidates(self, d: int) -> np.ndarray:
        return np.flatnonzero((self.first_day <= d) & (self.last_day >= d))


def _base36(x: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        x, r = divmod(x, 36)
        out = digits[r] + out
        if not x:
            return out


def _user_id(num: int) -> str:
    return base64.b64encode(f"User:{num}".encode()).decode()


def _lifetime_block(rng, n, profession_idx, kind):
    eng = np.empty(n, dtype=np.int8)
    for p_i, p_name in enumerate((*PROFESSIONS, None)):
        sel = profession_idx == (p_i if p_name is not None else -1)
        eng[sel] = rng.choice(3, size=int(sel.sum()), p=ENGAGEMENT_P[p_name])
    life = rng.exponential(np.asarray(LIFETIME_MEAN_DAYS)[eng]).astype(np.int64)
    lo = np.asarray([r[0] for r in P_ACTIVE_RANGE])[eng]
    hi = np.asarray([r[1] for r in P_ACTIVE_RANGE])[eng]
    p_active = lo + (hi - lo) * rng.random(n)
    if kind == KIND_ANON:  # a notebook session owner: a few weeks, on and off
        eng[:] = 0
        life = rng.exponential(30.0, n).astype(np.int64)
        p_active = rng.uniform(0.15, 0.35, n)
    return eng, np.minimum(life, 3000), p_active


def _month_block(seed: int, scale: float, m: int, kind: int) -> dict:
    """Sign-ups of one month (one kind of account): a pure function of (seed, scale, month, kind).

    The parts draw from one generator in a fixed order (demographics, second profile version,
    engagement, scripts, machines, names): reordering them would change every seed's world."""
    rng = day_rng(seed, scale, m, stream=100 + kind)
    start = month_start_day(m)
    end = month_start_day(m + 1)
    yf = 2018.0 + (start + end) / 2 / 365.25
    base = float(np.interp(yf, SIGNUP_KNOTS, SIGNUPS_PER_MONTH))
    mean = base if kind == KIND_REGISTERED else ANON_PER_MONTH * base / 12_000
    n = int(rng.poisson(mean * scale))
    signup_us = EPOCH_US + start * DAY_US + (rng.random(n) * (end - start) * DAY_US).astype(np.int64)
    signup_day = ((signup_us - EPOCH_US) // DAY_US).astype(np.int64)

    demo = _demographics(rng, n, yf, kind)
    v2 = _second_profile_version(rng, n, signup_us, demo)
    act = _engagement(rng, n, kind, signup_us, signup_day, demo)
    scripts = _scripts(rng, n, kind, start, demo, act)
    n_machines, mk = _machines(rng, n, kind, yf, demo["true_profession"], act["eng"])

    return dict(
        kind=act["kinds"],
        signup_us=signup_us,
        first_day=act["first_day"].astype(np.int32),
        last_day=act["last_day"].astype(np.int32),
        p_active=act["p_active"].astype(np.float32),
        weight=act["weight"].astype(np.float32),
        sweep_p=act["sweep_p"].astype(np.float32),
        act_type=act["act_type"],
        nosave_p=act["nosave_p"].astype(np.float32),
        country=demo["country"],
        profession=demo["profession"],
        industry=demo["industry"],
        v2_us=v2["v2_us"].astype(np.int64),
        v2_profession=v2["v2_profession"],
        v2_country=v2["v2_country"],
        n_scripts=scripts["n_scripts"].astype(np.int8),
        script_birth=scripts["birth"],
        script_stack=scripts["stack"],
        script_task=scripts["task"],
        script_nb=scripts["nb"],
        script_epoch=scripts["epoch"],
        script_name=scripts["name"],
        script_project=scripts["project"],
        n_machines=n_machines,
        machine_kind=mk,
        name_parts=np.stack([rng.integers(0, len(_FIRST), n), rng.integers(0, len(_LAST), n), rng.integers(0, 6, n)],
                            axis=1).astype(np.int16),
    )


def _demographics(rng: np.random.Generator, n: int, yf: float, kind: int) -> dict:
    """Country, profession (as stated, and the true one behind a blank) and industry at sign-up."""
    cw = COUNTRY_TABLE / COUNTRY_TABLE.sum(axis=1, keepdims=True)
    cp = interp_table(yf, COUNTRY_KNOTS, cw)[0]
    country = rng.choice(len(COUNTRIES), size=n, p=cp).astype(np.int16)
    country[rng.random(n) < COUNTRY_NULL_P] = -1
    pp = interp_table(yf, PROFESSION_KNOTS, PROFESSION_TABLE)[0]
    profession = rng.choice(3, size=n, p=pp).astype(np.int8)
    if kind == KIND_ANON:
        profession[:] = 2  # behaves like a hobbyist; never exported
    true_profession = profession.copy()
    profession[rng.random(n) < PROFESSION_NULL_P] = -1
    ip = interp_table(yf, INDUSTRY_KNOTS, INDUSTRY_TABLE)[0]
    industry = rng.choice(len(INDUSTRIES), size=n, p=ip).astype(np.int8)
    industry[(true_profession != 1) | (rng.random(n) < INDUSTRY_NULL_P)] = -1
    return dict(country_p=cp, country=country, profession=profession, true_profession=true_profession,
                industry=industry)


def _second_profile_version(rng: np.random.Generator, n: int, signup_us: np.ndarray, demo: dict) -> dict:
    """A second profile version for some: fills a blank profession, sometimes a move abroad."""
    profession, true_profession = demo["profession"], demo["true_profession"]
    has_v2 = rng.random(n) < 0.2
    v2_us = np.where(has_v2, signup_us + (DAY_US * (1 + rng.exponential(90, n))).astype(np.int64), -1)
    v2_profession = np.where((profession == -1) & (rng.random(n) < 0.5), true_profession, profession).astype(np.int8)
    moved = has_v2 & (rng.random(n) < 0.08)
    v2_country = np.where(moved, rng.choice(len(COUNTRIES), size=n, p=demo["country_p"]), demo["country"])
    v2_country = v2_country.astype(np.int16)
    return dict(v2_us=v2_us, v2_profession=v2_profession, v2_country=v2_country)


def _engagement(rng: np.random.Generator, n: int, kind: int, signup_us: np.ndarray, signup_day: np.ndarray,
                demo: dict) -> dict:
    """Span of activity and intensity: engagement class, active days, weight, sweeps, account kind,
    activity type and code saving."""
    prof_for_eng = np.where(demo["profession"] >= 0, demo["true_profession"], -1)
    eng, life, p_active = _lifetime_block(rng, n, prof_for_eng, kind)
    delay = np.where(rng.random(n) < 0.7, 0, np.ceil(rng.exponential(6, n))).astype(np.int64)
    late = (signup_us - EPOCH_US) % DAY_US > 22 * 3_600_000_000  # signed up late at night: starts tomorrow
    delay = np.where(late & (delay == 0), 1, delay)
    first_day = signup_day + delay
    last_day = first_day + life
    weight = rng.lognormal(0.0, 1.0, n) * np.asarray(WEIGHT_FACTOR)[eng]
    sweeper = (rng.random(n) < SWEEPER_P) & (eng > 0)
    sweep_p = np.where(sweeper, rng.uniform(0.15, 0.5, n), 0.01)
    kinds = np.full(n, kind, dtype=np.int8)
    if kind == KIND_REGISTERED:
        ghost = rng.random(n) < GHOST_P
        kinds[ghost] = KIND_GHOST
        weight[ghost] *= GHOST_WEIGHT
    act_type = np.zeros(n, dtype=np.int8)
    r = rng.random(n)
    if kind == KIND_REGISTERED:
        act_type[r < ARTIFACT_ONLY_P] = 1
        act_type[(r >= ARTIFACT_ONLY_P) & (r < ARTIFACT_ONLY_P + SWEEP_ONLY_P)] = 2
    nosave_p = np.where(rng.random(n) < NEVER_SAVES_CODE_P, 1.0, 0.05)
    return dict(eng=eng, life=life, p_active=p_active, first_day=first_day, last_day=last_day, weight=weight,
                sweep_p=sweep_p, kinds=kinds, act_type=act_type, nosave_p=nosave_p)


def _scripts(rng: np.random.Generator, n: int, kind: int, start: int, demo: dict, act: dict) -> dict:
    """Scripts: born during the active span; stack from the distribution at birth, then task,
    notebook or not, epochs per run, name and project."""
    true_profession, eng, first_day, life = demo["true_profession"], act["eng"], act["first_day"], act["life"]
    n_scripts = 1 + np.minimum(rng.poisson(np.asarray(SCRIPTS_LAMBDA)[eng]), MAX_SCRIPTS - 1)
    frac = np.sort(rng.random((n, MAX_SCRIPTS)), axis=1)
    frac[:, 0] = 0.0
    birth = first_day[:, None] + (frac * life[:, None]).astype(np.int64)
    exists = np.arange(MAX_SCRIPTS)[None, :] < n_scripts[:, None]
    birth = np.where(exists, birth, np.iinfo(np.int32).max).astype(np.int32)
    b_yf = yf_of_day(np.where(exists, birth, start))
    u_user = rng.random(n)
    u_script = np.where(rng.random((n, MAX_SCRIPTS)) < USER_STACK_AFFINITY, u_user[:, None], rng.random((n, MAX_SCRIPTS)))
    stack = np.zeros((n, MAX_SCRIPTS), dtype=np.int8)
    nb = np.zeros((n, MAX_SCRIPTS), dtype=bool)
    for p_i, p_name in enumerate((*PROFESSIONS, None)):
        sel = (true_profession == p_i) if p_name is not None else (true_profession < 0)
        if not sel.any():
            continue
        probs = interp_table(b_yf[sel].ravel(), STACK_KNOTS, STACK_TABLE[p_name])
        stack[sel] = choose_rows(probs, u_script[sel].ravel()).reshape(-1, MAX_SCRIPTS)
        nb[sel] = rng.random((int(sel.sum()), MAX_SCRIPTS)) < NOTEBOOK_P[p_name]
    if kind == KIND_ANON:
        nb[:] = rng.random((n, MAX_SCRIPTS)) < 0.85
    tp = TASK_BY_STACK[stack.ravel()].copy()
    health = np.repeat(demo["industry"] == HEALTHCARE, MAX_SCRIPTS)
    deep = np.isin(stack.ravel(), [S_TORCH, S_LIGHTNING, S_TFKERAS, S_TF, S_KERAS, S_JAX])
    boost = health & deep
    tp[boost, T_MOL] += HEALTHCARE_MOLECULE_BOOST
    tp[boost, T_VISION] += HEALTHCARE_MOLECULE_BOOST / 2
    tp /= tp.sum(axis=1, keepdims=True)
    task = choose_rows(tp, rng.random(n * MAX_SCRIPTS)).reshape(n, MAX_SCRIPTS).astype(np.int8)
    epoch = np.where(
        nb,
        rng.integers(NOTEBOOK_EPOCH_DAYS[0], NOTEBOOK_EPOCH_DAYS[1] + 1, (n, MAX_SCRIPTS)),
        rng.integers(SCRIPT_EPOCH_DAYS[0], SCRIPT_EPOCH_DAYS[1] + 1, (n, MAX_SCRIPTS)),
    ).astype(np.int16)
    name = rng.integers(0, 10_000, (n, MAX_SCRIPTS)).astype(np.int16)
    project = rng.integers(0, 10_000, (n, MAX_SCRIPTS)).astype(np.int16)
    return dict(n_scripts=n_scripts, birth=birth, stack=stack, task=task, nb=nb, epoch=epoch, name=name,
                project=project)


def _machines(rng: np.random.Generator, n: int, kind: int, yf: float, true_profession: np.ndarray,
              eng: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many machines each user runs on, and the kind of each (laptop, workstation, cloud, ...)."""
    n_machines = np.where(eng == 0, 1, 1 + (rng.random(n) < 0.45) + (rng.random(n) < 0.15)).astype(np.int8)
    mk = np.zeros((n, MAX_MACHINES), dtype=np.int8)
    for p_i, p_name in enumerate((*PROFESSIONS, None)):
        sel = (true_profession == p_i) if p_name is not None else (true_profession < 0)
        if sel.any():
            mp = interp_table(yf, MACHINE_KNOTS, MACHINE_TABLE[p_name])[0]
            mk[sel] = rng.choice(len(MACHINE_KINDS), size=(int(sel.sum()), MAX_MACHINES), p=mp)
    if kind == KIND_ANON:
        mk[:] = rng.choice(len(MACHINE_KINDS), size=(n, MAX_MACHINES), p=ANON_MACHINES)
    return n_machines, mk


def months_until(end_day: int) -> int:
    """Number of months from EPOCH whose first day is before ``end_day``."""
    m = 0
    while month_start_day(m) < end_day:
        m += 1
    return m


def build_population(seed: int, scale: float, end_day: int) -> Population:
    """Everybody who signed up in the months before day ``end_day`` (generated month by month)."""
    blocks = [_month_block(seed, scale, m, kind) for m in range(months_until(end_day)) for kind in (KIND_REGISTERED, KIND_ANON)]
    cat = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    n = len(cat["kind"])
    user_num = 1_000 + np.arange(n, dtype=np.int64)  # account numbers grow with sign-up order
    ids = [None if k == KIND_ANON else _user_id(num) for k, num in zip(cat["kind"].tolist(), user_num.tolist())]
    return Population(seed=seed, scale=scale, n=n, user_num=user_num, user_id=pa.array(ids, type=pa.string()), **cat)
