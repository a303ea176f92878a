"""Raw ingestion assets: the landing zone's files -> raw tables, with full accounting."""


import dagster as dg

from assets.sources.assets import landing_key
from stateofml.platform.partitions import context_quarters, quarterly_partitions
from stateofml.platform.resources import WAREHOUSE_POOL, LandingZone, Warehouse
from stateofml.contract import ENTITIES, MAX_UNRECOGNISED_LISTED
from stateofml.quarters import Quarter

from .load import LoadStats, load_quarter, load_snapshot

GROUP = "raw_activity"
OWNERS = ["team:data-platform"]
QUARANTINE_CHECK = "quarantine_share_within_threshold"
# Metadata of a quarter's materialization: quarter label -> keys whose older copy left that quarter's
# table because this quarter now holds a newer version (the CLI reads it to say what to rebuild).
SUPERSEDED_METADATA = "superseded_in_other_quarters"


class IngestConfig(dg.Config):
    # A few bad records are normal at this scale; beyond this share something upstream broke,
    # and the marts must not be built from what is left.
    max_quarantine_share: float = 0.05


def _metadata(stats: list[LoadStats]) -> dict:
    total = LoadStats(stats[0].entity, ",".join(s.quarter for s in stats))
    for s in stats:
        total.files += s.files
        total.read += s.read
        total.loaded += s.loaded
        total.quarantined += s.quarantined
        total.deduplicated += s.deduplicated
        total.duplicate_files += s.duplicate_files
        total.failed_files += s.failed_files
        # A stray file outside any date= folder is seen by every quarter's scan: listed once.
        total.unrecognised += [u for u in s.unrecognised if u not in total.unrecognised]
        for reason, n in s.reasons.items():
            total.reasons[reason] = total.reasons.get(reason, 0) + n
        for quarter, n in s.superseded_elsewhere.items():
            total.superseded_elsewhere[quarter] = total.superseded_elsewhere.get(quarter, 0) + n
    md = {
        "quarters": total.quarter,
        "files": total.files,
        "records_read": total.read,
        "records_loaded": total.loaded,
        "records_quarantined": total.quarantined,
        "records_deduplicated": total.deduplicated,
        "duplicate_files": total.duplicate_files,
        # Paths that are not data files (no date= folder, an impossible date, another suffix, a
        # subfolder, a symlink out of the landing zone): not records, but never passed over silently.
        "unrecognised_files": len(total.unrecognised),
        "quarantine_share": round(total.quarantine_share, 6),
        "dagster/row_count": total.loaded,
        "accounting_balanced": total.balanced,
    }
    if total.reasons:
        md["quarantine_reasons"] = dg.MetadataValue.json(total.reasons)
    if total.unrecognised:
        listed = [f"- `{u}`" for u in total.unrecognised[:MAX_UNRECOGNISED_LISTED]]
        if len(total.unrecognised) > MAX_UNRECOGNISED_LISTED:
            listed.append(f"- ... and {len(total.unrecognised) - MAX_UNRECOGNISED_LISTED} more "
                          f"(all in `raw.landing_files__{total.entity}`, status `unrecognised`)")
        md["unrecognised"] = dg.MetadataValue.md("\n".join(listed))
    if total.superseded_elsewhere:
        # Older copies of keys this load holds in a newer version, removed from those quarters' tables.
        md[SUPERSEDED_METADATA] = dg.MetadataValue.json(total.superseded_elsewhere)
    if total.failed_files:
        md["failed_files"] = dg.MetadataValue.md("\n".join(f"- `{f}`" for f in total.failed_files))
    return md, total


def report_quarters_left_stale(context: dg.AssetExecutionContext, key: dg.AssetKey,
                               by_quarter: dict[Quarter, LoadStats]) -> list[Quarter]:
    """Quarters outside this run whose raw table lost keys to a newer version loaded here (a run
    whose created_at moved to another quarter): their dbt models still count those keys until the
    quarter is rebuilt. Each is reported as a materialization of its raw partition, so that the
    automation (``follows_its_quarter``) rebuilds that quarter's models, charts and page.

    Reported as a runless event, not with ``context.log_event``: this run carries the quarterly
    jobs' tag, and an update made by such a run is one the automation leaves alone by design
    (it built its own quarters). Today Dagster matches that tag only against the asset's latest
    materialization, which a logged event of another partition happens not to be; a runless event
    does not rely on that. Quarters of this run are left out: its dbt build covers them."""
    moved: dict[Quarter, dict[str, int]] = {}
    for here, stats in by_quarter.items():
        for label, n in stats.superseded_elsewhere.items():
            other = Quarter.parse(label)
            if other not in by_quarter:
                moved.setdefault(other, {})[here.compact] = n
    for other, to in sorted(moved.items()):
        why = (f"{sum(to.values())} key(s) of {other.compact} now held in a newer version by "
               f"{', '.join(to)} (their event time moved quarter): the older copies left this quarter's "
               f"raw table; its models still count them until {other.compact} is rebuilt")
        context.log.warning(f"{key.to_user_string()} {other.compact}: {why}")
        if not quarterly_partitions.has_partition_key(other.partition_key):
            continue  # not a partition (yet): nothing built from it to rebuild
        context.instance.report_runless_asset_event(dg.AssetMaterialization(
            asset_key=key, partition=other.partition_key, description=why,
            metadata={"quarter": other.label, "keys_moved_to": dg.MetadataValue.json(to),
                      "reported_by_run": context.run.run_id}))
    return sorted(moved)


def _check(asset_key: dg.AssetKey, total: LoadStats, threshold: float,
           by_quarter: dict[str, LoadStats] | None = None) -> dg.AssetCheckResult:
    per_quarter = {
        f"quarantine_share/{label}": round(s.quarantine_share, 6) for label, s in (by_quarter or {}).items()
    } if by_quarter and len(by_quarter) > 1 else {}
    return dg.AssetCheckResult(
        check_name=QUARANTINE_CHECK,
        asset_key=asset_key,
        # Every quarter on its own: a bad quarter in a range is not averaged away by good ones.
        passed=all(s.balanced and s.quarantine_share <= threshold for s in [total, *(by_quarter or {}).values()]),
        metadata={
            "quarantine_share": round(total.quarantine_share, 6),
            **per_quarter,
            "threshold": threshold,
            "read = loaded + quarantined + deduplicated": total.balanced,
        },
    )


def _check_spec(key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        QUARANTINE_CHECK,
        asset=key,
        # Blocking: downstream assets do not run on a quarter that lost too much of its input.
        blocking=True,
        description="Every record read is loaded, quarantined or deduplicated, and the quarantined share is within the configured threshold.",
    )


def build_raw_quarterly_asset(entity: str) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", entity])

    @dg.asset(
        key=key,
        # Lineage: the landing files it reads (external; the run-folder import writes some of them).
        deps=[landing_key(entity)],
        group_name=GROUP,
        owners=OWNERS,
        kinds={"duckdb", "python"},
        partitions_def=quarterly_partitions,
        # A backfill of many quarters is one run (one process holding the warehouse), not many
        # runs fighting over DuckDB's single-writer lock.
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        check_specs=[_check_spec(key)],
        description=(
            f"Raw {entity} of one quarter, loaded from `<landing>/{entity}/date=.../` into "
            f"`raw.{entity}__<yyyy>q<n>` (replaced whole) behind the view `raw.{entity}`. "
            "Bad records go to the quarantine table with their file, row and reason."
        ),
        metadata={"contract": "docs/raw_activity.md", "key": ENTITIES[entity].key},
    )
    def _raw_asset(context: dg.AssetExecutionContext, config: IngestConfig, landing: LandingZone,
                   warehouse: Warehouse):
        quarters = context_quarters(context)
        with warehouse.get_connection() as conn:
            stats = [load_quarter(conn, landing.root, entity, q) for q in quarters]
        for q, s in zip(quarters, stats, strict=True):
            context.log.info(f"{entity} {s.quarter}: read {s.read}, loaded {s.loaded}, quarantined {s.quarantined}, deduplicated {s.deduplicated}")
            # Each quarter's materialization carries its own figures (a range run is one step, but
            # partition history and the row-count plot are per quarter).
            context.add_asset_metadata({**_metadata([s])[0], "quarter": q.label}, partition_key=q.partition_key)
        report_quarters_left_stale(context, key, dict(zip(quarters, stats, strict=True)))
        total = _metadata(stats)[1]
        if total.unrecognised:
            context.log.warning(f"{entity}: {len(total.unrecognised)} unrecognised path(s) in the landing zone, "
                                f"e.g. {total.unrecognised[0]}")
        yield dg.MaterializeResult()
        # The check covers the run's quarters; its metadata lists each one's share.
        yield _check(key, total, config.max_quarantine_share, by_quarter={q.label: s for q, s in zip(quarters, stats)})

    _raw_asset.__name__ = f"raw_{entity}"
    return _raw_asset


RAW_USERS_KEY = dg.AssetKey(["raw", "users"])


@dg.asset(
    key=RAW_USERS_KEY,
    deps=[landing_key("users")],
    group_name=GROUP,
    owners=OWNERS,
    kinds={"duckdb", "python"},
    pool=WAREHOUSE_POOL,
    check_specs=[_check_spec(RAW_USERS_KEY)],
    description=(
        "Account profiles: the latest version of every user in the landing zone, as one snapshot "
        "table `raw.users` (profiles change; they are not events of a quarter)."
    ),
    metadata={"contract": "docs/raw_activity.md", "key": "user_id"},
)
def raw_users(config: IngestConfig, landing: LandingZone, warehouse: Warehouse):
    with warehouse.get_connection() as conn:
        stats = load_snapshot(conn, landing.root, "users")
    md, total = _metadata([stats])
    yield dg.MaterializeResult(metadata=md)
    yield _check(RAW_USERS_KEY, total, config.max_quarantine_share)


raw_quarterly_assets = [build_raw_quarterly_asset(e) for e, spec in ENTITIES.items() if spec.quarterly]
