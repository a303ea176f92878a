"""Activity simulator: synthetic raw activity of an ML experiment-tracking service.

It writes the landing zone of ``docs/raw_activity.md`` (users, runs, sweeps, artifacts, code_blobs)
through ``stateofml.contract.write_parquet`` and knows nothing of Dagster or dbt::

    from simulator import simulate
    summary = simulate(Path("data/landing"), date(2020, 1, 1), date(2023, 1, 1), scale=0.001, seed=42)

The model
---------
* **Population** (``world.py``). Users sign up month by month at a growing rate; each gets a
  country, profession and industry drawn from the tables of their sign-up date (so the mix of
  active users drifts: Asia and hobbyists rise, healthcare gains among corporates), an engagement
  class (tryout / project / regular) that sets how long and how often they are active, a
  heavy-tailed run intensity, a few scripts born during their active span, and 1-3 machine slots.
  A few accounts were deleted (runs whose ``user_id`` has no profile) and some sessions are
  anonymous (``user_id`` null). A month's sign-ups depend only on (seed, scale, month).
* **Days** (``activity.py``). Whether a user is active on a day, which script they work on and
  whether that day's runs save code are pure hash functions of (seed, user, day), so any day can
  be generated alone (in any order, in parallel) and the first day a script version was saved can
  be found by looking back a few days. Active user-days share out the day's run target (the
  quarterly volumes of ``world.QUARTER_RUNS_M`` x ``scale``) in proportion to intensity x stack
  multiplier x sweep day; each run then gets ids, times, state, runtime, sweep, media, artifacts.
* **Code** (``code.py``, ``libraries.py``). A script version's text is rendered from its stack,
  task and the auxiliary libraries it has adopted by then (monotone adoption curves, e.g. the Q4
  2022 jump of transformers, hydra, diffusers...); ``code_hash`` is the sha256 of the text, written
  once to ``code_blobs`` on the day of its first saving run. Telemetry imports mostly agree with
  the code (plus transitive imports, minus lazy/optional ones), for clients new enough to send them.
* **Hardware** (``hardware.py``). Machine kinds per profession; concrete GPUs drawn from era
  catalogues (NVML names), hosts that reveal clouds or on-premises, OS, Python, client versions.

Scale 1.0 is the real size (2022: ~200k active users, ~125M runs). Memory stays bounded (one day,
in files of at most 300k runs, is held at a time); ``progress=True`` shows a tqdm bar.
"""

from .engine import SimulationSummary, simulate

__all__ = ["simulate", "SimulationSummary"]
