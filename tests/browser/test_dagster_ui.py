"""The operator's journey in the Dagster UI, in headless Chromium (Debian's, never a download).

A tiny world with its reference data loaded; `stateofml ui` on loopback (one start for the module);
then: the lineage shows every group; the job page's "Auto-materialize" badge says whether the
automation sensor runs; the report page's description keeps its `<placeholders>`; "Materialize all"
on the quarterly job asks nothing about the optional run-folder import; a quarter is materialized
from the UI, the run succeeds, and the chart, the mart's row count and columns, and the analysts'
copy are there. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.analysts.publish import published_relations
from orchestration.automation import automation_sensor
from orchestration.definitions import build_definitions, defs
from stateofml.platform.project import PROJECT_ROOT, dbt_project
from stateofml.platform.resources import build_resources
from tests.landing_builder import tiny_world

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1200)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
QUARTER = "2022-10-01"
JOB = "state_of_ml_quarterly"
# Generous: a loaded 2-core machine needs minutes where an idle one needs seconds.
SERVER_START_S = 300
RUN_S = 600
UI_MS = 120_000
TERMINAL = ("SUCCESS", "FAILURE", "CANCELED")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, base: str, proc: subprocess.Popen, log: Path):
        self.base, self.proc, self.log = base, proc, log

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(f"{self.base}/graphql", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read())["data"]

    def code_location_loaded(self) -> bool:
        try:
            data = self.graphql("{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
                                "locationOrLoadError { __typename } } } } }")
        except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError, TypeError):
            return False
        entries = data["workspaceOrError"]["locationEntries"]
        for e in entries:
            if e["loadStatus"] == "LOADED" and e["locationOrLoadError"]["__typename"] == "PythonError":
                raise AssertionError(f"code location {e['name']} failed to load; see {self.log}")
        return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)

    def backfills_in_progress(self) -> bool:
        data = self.graphql("{ partitionBackfillsOrError { ... on PartitionBackfills { results { id status } } } }")
        return any(b["status"] in ("REQUESTED", "CANCELING", "FAILING")
                   for b in data["partitionBackfillsOrError"]["results"])

    def automation_sensor(self) -> dict:
        """The automation sensor with its repository, location and state id and status."""
        data = self.graphql("{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } "
                            "sensors { name sensorState { id status } } } } } }")
        return next({"repository": repo["name"], "location": repo["location"]["name"], **sensor}
                    for repo in data["repositoriesOrError"]["nodes"] for sensor in repo["sensors"]
                    if sensor["name"] == automation_sensor.name)

    def runs(self) -> list[dict]:
        data = self.graphql("{ runsOrError { ... on Runs { results { runId status jobName tags { key value } } } } }")
        return data["runsOrError"]["results"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("ui") / "data"
    tiny_world(data / "landing")
    home = data / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    # Profiles and lookup tables first, in the instance the UI reads: the quarter comes from the UI.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert build_definitions(build_resources(data)).resolve_job_def("reference_data").execute_in_process(
            instance=instance).success

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "dagster_dev.log"
    port = free_port()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "DAGSTER_HOME": str(home), "STATEOFML_DATA_DIR": str(data),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    with open(log, "w") as out:
        # The operator's command (it runs `dagster dev` and keeps the automation badge true).
        # env --default-signal: a CI runner may start us with INT/TERM ignored; dagster dev must
        # still stop on them. Its own session, so the whole tree stops with one killpg.
        proc = subprocess.Popen(
            ["env", "--default-signal=INT,TERM", sys.executable, "-m", "stateofml.cli", "--data-dir", str(data),
             "ui", "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    srv = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        started = time.monotonic()
        while not srv.code_location_loaded():
            assert proc.poll() is None, f"dagster dev exited with {proc.returncode}; see {log}"
            assert time.monotonic() - started < SERVER_START_S, f"UI not up after {SERVER_START_S}s; see {log}"
            time.sleep(2)
        print(f"dagster dev answered after {time.monotonic() - started:.0f}s")
        yield srv, data
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """TERM the server's process group (webserver, daemon, code server, runs), then KILL what lingers."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, server):
    from playwright.sync_api import expect

    expect.set_options(timeout=UI_MS)  # expect() has its own 5 s default
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(UI_MS)
    # First visits show a "Join the Dagster community" dialog over the page: skip it whenever it shows.
    page.add_locator_handler(page.get_by_role("button", name="Skip"), lambda skip: skip.click())
    try:
        yield page
    finally:
        context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_lineage_shows_every_group(server, page):
    from playwright.sync_api import expect

    srv, _ = server
    groups = sorted({defs.resolve_asset_graph().get(k).group_name for k in defs.resolve_asset_graph().get_all_asset_keys()})
    assert {"raw_activity", "staging", "intermediate", "marts", "charts", "analysts"} <= set(groups)
    page.goto(f"{srv.base}/asset-groups")
    try:
        for group in groups:
            # Once in the sidebar's tree and once as a (collapsed) group node of the graph.
            names = page.get_by_text(group, exact=True).filter(visible=True)
            expect(names.first).to_be_visible()
            expect(names.nth(1)).to_be_visible()
    finally:
        shot(page, "1_lineage_groups")


def test_the_job_page_badge_says_whether_the_automation_sensor_runs(server, page):
    from playwright.sync_api import expect

    srv, _ = server
    sensor = srv.automation_sensor()
    assert sensor["sensorState"]["status"] == "RUNNING"  # on by default (orchestration/automation.py)
    job_page = f"{srv.base}/locations/stateofml/jobs/{JOB}"
    try:
        page.goto(job_page)
        expect(page.get_by_text("Auto-materialize on", exact=True)).to_be_visible()
        expect(page.get_by_text("Auto-materialize off", exact=True)).to_have_count(0)
        shot(page, "2_badge_on")
        # Stopped in the Automation tab (here through the same GraphQL call): the badge follows.
        stopped = srv.graphql("mutation($id: String) { stopSensor(id: $id) { __typename } }",
                              {"id": sensor["sensorState"]["id"]})
        assert stopped["stopSensor"]["__typename"] == "StopSensorMutationResult", stopped
        badge_reads(page, job_page, "Auto-materialize off")
        selector = {"repositoryLocationName": sensor["location"], "repositoryName": sensor["repository"],
                    "sensorName": sensor["name"]}
        started = srv.graphql("mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) { __typename } }",
                              {"s": selector})
        assert started["startSensor"]["__typename"] == "Sensor", started
        badge_reads(page, job_page, "Auto-materialize on")
    except BaseException:
        shot(page, "2_badge_failure")
        raise


def badge_reads(page, url: str, text: str, within_s: float = 90) -> None:
    """Reload ``url`` until its badge reads ``text`` (the UI reads the state once per page load)."""
    from playwright.sync_api import expect

    deadline = time.monotonic() + within_s
    while True:
        page.goto(url)
        badge = page.get_by_text(re.compile(r"^Auto-materialize (on|off)$"))
        expect(badge).to_be_visible()
        if badge.inner_text() == text:
            return
        assert time.monotonic() < deadline, f"the badge still reads {badge.inner_text()!r}, not {text!r}"
        time.sleep(3)


def test_the_report_page_description_keeps_its_placeholders(server, page):
    from playwright.sync_api import expect

    srv, _ = server
    page.goto(f"{srv.base}/assets/report/state_of_ml_page")
    try:
        expect(page.get_by_text("<outputs>/<quarter>/state_of_ml_<year>.html", exact=True)).to_be_visible()
        expect(page.get_by_text("state_of_ml_<quarter>.html", exact=True)).to_be_visible()
        assert "//report/state_of_ml_.html" not in page.locator("body").inner_text()
    finally:
        shot(page, "2_report_description")


def test_materialize_all_on_the_quarterly_job_asks_nothing_about_the_optional_import(server, page):
    from playwright.sync_api import expect

    srv, _ = server
    page.goto(f"{srv.base}/locations/stateofml/jobs/{JOB}")
    page.get_by_role("button", name="Materialize all").click()
    partitions = page.get_by_role("dialog").get_by_role("textbox").first
    # The UI asks "Are you sure?" (an alert dialog, before the launch dialog) when an upstream asset
    # outside the job was never materialized; the profiles and lookup tables are loaded here, so only
    # an optional source (the run-folder import, landing/wandb_run_folders) could make it ask.
    sure = page.get_by_text("Are you sure?", exact=True)
    try:
        expect(partitions.or_(sure)).to_be_visible()
        assert not sure.is_visible(), page.get_by_role("alertdialog").inner_text()
    finally:
        shot(page, "2_materialize_all")
    page.get_by_role("dialog").get_by_role("button", name="Cancel", exact=True).click()
    expect(partitions).to_be_hidden()


def test_materialize_a_quarter_from_the_ui_then_see_chart_mart_and_analysts_copy(server, page):
    try:
        materialize_a_quarter_then_look(server, page)
    except BaseException:
        shot(page, "failure")
        raise


def materialize_a_quarter_then_look(server, page):
    from playwright.sync_api import expect

    srv, data = server
    # 1. Launch the quarter from the job's page: Materialize all -> partition -> launch.
    before = {r["runId"] for r in srv.runs()}
    page.goto(f"{srv.base}/locations/stateofml/jobs/{JOB}")
    page.get_by_role("button", name="Materialize all").click()
    dialog = page.get_by_role("dialog")
    partitions = dialog.get_by_role("textbox").first
    # The UI asks "Are you sure?" when an upstream asset outside the job was never materialized.
    # Upstream of this job are only the reference data (loaded above) and the landing files
    # (external assets), so it must not ask. That prompt is an alert dialog (role "alertdialog",
    # not "dialog"): look for its button on the page.
    confirm = page.get_by_role("button", name="Confirm", exact=True)
    expect(partitions.or_(confirm)).to_be_visible()
    if confirm.is_visible():
        shot(page, "2_confirm_missing_upstream")
        raise AssertionError("the UI asks to confirm a never-materialized upstream asset of the quarterly job")
    partitions.fill(QUARTER)
    partitions.press("Enter")
    expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
    shot(page, "2_launch_dialog")
    # "Launch 1 run" while every asset of the job is partitioned by quarter; "Launch backfill"
    # if an unpartitioned asset joins the job. Either must end in success.
    dialog.get_by_role("button", name=re.compile(r"^Launch")).click()
    expect(dialog).to_be_hidden()

    # 2. What it launched succeeds (checked through the UI's own GraphQL API).
    started = time.monotonic()
    while True:
        launched = [r for r in srv.runs() if r["runId"] not in before]
        settled = launched and all(r["status"] in TERMINAL for r in launched) and not srv.backfills_in_progress()
        if settled or time.monotonic() - started > RUN_S:
            break
        time.sleep(3)
    assert launched, "nothing was launched from the UI"
    print(f"{len(launched)} run(s) {[r['status'] for r in launched]} {time.monotonic() - started:.0f}s after launch")
    run = next((r for r in launched if {"key": "dagster/partition", "value": QUARTER} in r["tags"]), launched[0])
    page.goto(f"{srv.base}/runs/{run['runId']}")
    page.wait_for_load_state("networkidle")
    shot(page, "3_run")
    assert all(r["status"] == "SUCCESS" for r in launched), f"{launched}; see {srv.log}"
    expect(page.get_by_text("Success", exact=True).first).to_be_visible()

    # 3. The chart asset's page shows the chart (the metadata preview image).
    page.goto(f"{srv.base}/assets/charts/active_users_by_country")
    page.get_by_text("[Show Markdown]").first.click()
    chart = page.get_by_role("dialog").get_by_role("img", name="Active users by country")
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.complete && img.naturalWidth > 300")
    shot(page, "4_chart_preview")
    page.keyboard.press("Escape")

    # 4. The mart's page shows its row count and its described columns.
    page.goto(f"{srv.base}/assets/marts/active_users_by_country_by_quarter")
    expect(page.get_by_text("Row count", exact=True)).to_be_visible()
    mart = next(r for r in published_relations(json.loads(dbt_project.manifest_path.read_text()))
                if r.sql == '"marts"."active_users_by_country_by_quarter"')
    expect(page.get_by_text(mart.columns["active_users"], exact=True)).to_be_visible()
    shot(page, "5_mart")

    # 5. The run published the analysts' copy.
    with duckdb.connect(str(data / "analysts" / "stateofml.duckdb"), read_only=True) as conn:
        assert conn.execute("select sum(active_users) from marts.active_users_by_country_by_quarter "
                            "where quarter_start = ?", [QUARTER]).fetchone() == (5,)
