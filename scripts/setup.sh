#!/usr/bin/env bash
# Set up the project on a fresh machine with Python 3.11: uv, the locked environment in .venv,
# and the dbt manifest the Dagster definitions load. `--test` also installs what the test
# suite needs from Debian's packages (Chromium for the UI test, PostgreSQL for the production
# storage test, Java for the Spark test) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Never let uv download a Python build: only the package registries are reachable.
export UV_PYTHON_DOWNLOADS=never
if ! command -v uv >/dev/null 2>&1; then
  python3.11 -m pip install --quiet "uv==0.13.8"
fi
uv sync --frozen --python python3.11 --quiet
.venv/bin/stateofml prepare >/dev/null

if [ "${1:-}" = "--test" ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v pg_ctlcluster >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  # The Spark test (dbt-spark session mode) starts a local JVM.
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
