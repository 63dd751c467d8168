#!/usr/bin/env bash
# Runs the whole test suite (what CI runs: .ci/run calls this).
#
#   scripts/test.sh              npm ci (only when node_modules is missing or package-lock.json
#                                changed), the tools (scripts/tools.sh), the build (npm run build),
#                                the static checks (npm run check: types, eslint, prettier, buf lint,
#                                buf breaking; see scripts/check.sh), PostgreSQL, then unit,
#                                integration and e2e tests in one mocha run, two files at a time
#                                (= npm run test:mocha; TEST_JOBS=1 for one at a time; see
#                                .mocharc.js): one summary at the end
#   scripts/test.sh unit e2e     only those kinds (unit, int, e2e); the checks still run
#   scripts/test.sh --skip-check unit
#                                no static checks (MARQUEE_SKIP_CHECK=1 does the same): for a quick
#                                local rerun only; ignored when CI=true (CI always checks)
#
# Tests start their own nats-server and FerretDB per test file and create their own PostgreSQL
# databases, so only a running PostgreSQL is needed (it is started with scripts/infra.sh if it is
# down); the services of scripts/up.sh are not used. Test databases older than a day that an
# interrupted run left behind are dropped first.
set -euo pipefail
PROG="test"
# shellcheck source=scripts/lib.sh
source "$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"

kinds=()
skip_check="${MARQUEE_SKIP_CHECK:-0}"
for arg in "$@"; do
  case "$arg" in
    unit | int | e2e) kinds+=("$arg") ;;
    --skip-check) skip_check=1 ;;
    -h | --help)
      sed -n '2,19s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument '$arg' (test kinds: unit, int, e2e; --skip-check)" ;;
  esac
done

started_at=$SECONDS
cd "$REPO_ROOT"
ensure_node
ensure_node_deps
ensure_tools
build
if [[ "$skip_check" == 1 && "${CI:-}" == true ]]; then
  say "CI=true: the static checks run whatever --skip-check / MARQUEE_SKIP_CHECK say"
  skip_check=0
fi
if [[ "$skip_check" == 1 ]]; then
  say "static checks skipped (--skip-check / MARQUEE_SKIP_CHECK=1)"
else
  say "static checks (npm run check) ..."
  (cd "$REPO_ROOT" && npm run --silent check) || die "the static checks failed (see above)"
fi

# --- PostgreSQL ------------------------------------------------------------------------------
ADMIN_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if ! pg_isready -q -d "$ADMIN_URL" -t 2 2>/dev/null; then
  say "PostgreSQL does not answer at $ADMIN_URL: starting it with scripts/infra.sh up ..."
  "$REPO_ROOT/scripts/infra.sh" up >/dev/null || die "could not start PostgreSQL (see above)"
fi

# Whole-system tests run six services with their connection pools at once (and fault tests start
# extra copies), two test files at a time: PostgreSQL's default of 100 connections is too few.
# Raising it needs a restart.
PG_MIN_CONNECTIONS=500
ensure_postgres_connections() {
  local have version cluster
  have="$(psql -X -At -d "$ADMIN_URL" -c 'SHOW max_connections' 2>/dev/null || echo 0)"
  ((have >= PG_MIN_CONNECTIONS)) && return 0
  say "PostgreSQL allows $have connections; setting max_connections = $PG_MIN_CONNECTIONS (restarts it) ..."
  psql -X -q -d "$ADMIN_URL" -c "ALTER SYSTEM SET max_connections = $PG_MIN_CONNECTIONS" ||
    die "could not raise max_connections (see above)"
  read -r version cluster < <(pg_lsclusters -h | awk '$3 == 5432 { print $1, $2; exit }') ||
    die "no PostgreSQL cluster on port 5432 to restart (pg_lsclusters)"
  pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" restart ||
    die "could not restart PostgreSQL $version/$cluster"
  local deadline=$((SECONDS + 30))
  until pg_isready -q -d "$ADMIN_URL" -t 2; do
    ((SECONDS < deadline)) || die "PostgreSQL did not come back within 30 s after the restart"
    sleep 0.2
  done
}
ensure_postgres_connections

# Test databases are named <prefix>_<10 hex digits> (packages/platform/src/testing/postgres.ts),
# with "test" in the prefix; a run that was killed leaves its databases behind.
drop_stale_test_databases() {
  command -v psql >/dev/null 2>&1 || return 0
  local stale name
  stale="$(psql -X -q -At -d "$ADMIN_URL" -c "
    SELECT datname FROM pg_database
    WHERE datname ~ '^[a-z0-9_]*test[a-z0-9_]*_[0-9a-f]{10}\$'
      AND (pg_stat_file('base/' || oid || '/PG_VERSION')).modification < now() - interval '1 day'" 2>&1)" || {
    say "note: could not list stale test databases (${stale%%$'\n'*}); continuing"
    return 0
  }
  for name in $stale; do
    if psql -X -q -d "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1; then
      say "dropped stale test database $name (older than a day)"
    fi
  done
}
drop_stale_test_databases

# --- the tests ---------------------------------------------------------------------------------
prep=$((SECONDS - started_at))
if ((${#kinds[@]} > 0)); then
  TEST_KIND="$(IFS=,; echo "${kinds[*]}")"
  export TEST_KIND
fi
say "running ${TEST_KIND:-unit, int, e2e} tests (mocha) ..."
code=0
TEST_TIMINGS="$(mktemp -t marquee-test-timings.XXXXXX)"
export TEST_TIMINGS
"$REPO_ROOT/node_modules/.bin/mocha" || code=$?
# The suite's budget is 15 minutes: the slowest files are where time goes (mocha-hooks.ts writes the lines).
say "slowest spec files (wall seconds, two run side by side):"
sort -rn "$TEST_TIMINGS" | head -12 | awk -F'\t' -v root="$REPO_ROOT/" '{ sub(root, "", $2); printf "  %6.1f  %s\n", $1 / 1000, $2 }'
rm -f "$TEST_TIMINGS"
say "total $((SECONDS - started_at)) s (preparation ${prep} s, tests $((SECONDS - started_at - prep)) s); mocha exit code $code"
exit "$code"
