#!/usr/bin/env bash
# Brings the whole Marquee system up on this machine.
#
#   scripts/up.sh            npm ci (only when node_modules is missing or package-lock.json changed),
#                            the tools (scripts/tools.sh), the build (npm run build), the
#                            infrastructure (scripts/infra.sh up: PostgreSQL, NATS, FerretDB), every
#                            built service, the demo data (scripts/seed.ts); prints the endpoints and
#                            waits. Ctrl-C (or SIGTERM) stops the services it started; the
#                            infrastructure keeps running (scripts/infra.sh stop stops it).
#   scripts/up.sh --detach   the same, but returns once everything is up and seeded, leaving the
#                            services running; scripts/down.sh stops them.
#   scripts/up.sh --skip-build  (with or without --detach) no npm ci and no build: runs what is built.
#
#   REPLICAS=orders=2,inventory=2,wallet=2 scripts/up.sh
#                            runs N replicas (1-10) of each named service or BFF: replica k listens on
#                            its port + 100*(k-1) (metrics on that + 1000), logs to <name>-<k>.log. Every
#                            process gets <SERVICE>_ADDR listing every replica of each gRPC service
#                            (127.0.0.1:50053,127.0.0.1:50153), so its calls spread over them.
#   NATS_NODES=3 scripts/up.sh
#                            a three-node JetStream cluster (scripts/infra.sh): every process gets
#                            NATS_URL with the three nodes and STREAM_REPLICAS (default 3).
#
# Services left running by an earlier up are stopped first, so every up runs the fresh build.
# Each service logs JSON lines to .data/logs/<name>.log (the previous run's log is kept as
# <name>.log.1); its pid is in .data/run/service-<name>.pid (replica k: <name>-<k>). A service starts
# only when services/<name>/dist/src/main.js exists (one still being written has none yet).
set -euo pipefail

# The services, in start order (a service comes after the ones it calls): name:gRPC port.
# Adding a service is one line here. The ports are the services' own defaults (docs/architecture.md).
# bff-ops, the operations console, listens on loopback only (its HOST default, 127.0.0.1).
SERVICES=(
  accounts:50051
  catalog:50052
  inventory:50053
  wallet:50054
  orders:50055
  query:50056
  bff-web:8080
  bff-mobile:8081
  bff-partner:8082
  bff-ops:8083
)

# Services whose store is FerretDB, which does not isolate concurrent writes to one document
# (docs/scaling.md): one writer per FerretDB, so REPLICAS refuses more than one of them.
ONE_PER_FERRETDB=(catalog query)
REPLICA_PORT_STEP=100
MAX_REPLICAS=10 # replica 11 would listen on the first replica's metrics port (+ 1000)

PROG="up"
READY_DEADLINE=60 # seconds for one service to report SERVING (the first start runs migrations)
# shellcheck source=scripts/lib.sh
source "$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"

DETACH=0
SKIP_BUILD=0
for arg in "$@"; do
  case "$arg" in
    -d | --detach) DETACH=1 ;;
    --skip-build) SKIP_BUILD=1 ;;
    -h | --help)
      sed -n '2,26s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument '$arg' (use --detach, --skip-build or --help)" ;;
  esac
done

started_at=$SECONDS
STARTED=()   # name:pid of the services this run started
SKIPPED=()   # services that are not built
KEEP=0       # 1 once the services are meant to outlive this script (--detach succeeded)
RUNNING=0    # 1 once everything is up: a Ctrl-C then is the normal way out (exit 0)
STOPPING=0

# shellcheck disable=SC2317 # these run from the traps below
stop_started() {
  ((${#STARTED[@]} > 0)) || return 0
  say "stopping ${STARTED[*]%%:*} ..."
  stop_service_processes "${STARTED[@]}"
  STARTED=()
}

# shellcheck disable=SC2317
on_exit() {
  local rc=$?
  if ((KEEP == 0)); then stop_started; fi
  exit "$rc"
}

# shellcheck disable=SC2317
on_signal() { # exit code
  ((STOPPING == 0)) || return 0
  STOPPING=1
  echo >&2
  stop_started
  say "the infrastructure (PostgreSQL, NATS, FerretDB) is still running: scripts/infra.sh stop stops it"
  if ((RUNNING == 1)); then exit 0; fi
  exit "$1"
}

trap on_exit EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

fail_service() { # name pid message
  local log="$LOG_DIR/$1.log"
  say "$3"
  if [[ -s "$log" ]]; then
    echo "----- last lines of $log -----" >&2
    tail -n 30 "$log" >&2
    echo "-----" >&2
  fi
  exit 1
}

port_of() { # name: its gRPC port from SERVICES
  local entry
  for entry in "${SERVICES[@]}"; do
    if [[ "${entry%%:*}" == "$1" ]]; then
      echo "${entry#*:}"
      return 0
    fi
  done
  die "no service '$1' in SERVICES"
}

is_listed() { # name: in SERVICES?
  local entry
  for entry in "${SERVICES[@]}"; do
    [[ "${entry%%:*}" == "$1" ]] && return 0
  done
  return 1
}

# --- replicas ---------------------------------------------------------------------------------
declare -A REPLICA_COUNT=() # name -> replicas, from REPLICAS (1 when not named)

read_replicas() {
  local entries entry name count
  IFS=',' read -ra entries <<<"${REPLICAS:-}"
  for entry in "${entries[@]}"; do
    [[ "$entry" =~ ^([a-z][a-z-]*)=([0-9]+)$ ]] ||
      die "REPLICAS: '$entry' is not <name>=<count> (e.g. REPLICAS=orders=2,inventory=2)"
    name="${BASH_REMATCH[1]}"
    count=$((10#${BASH_REMATCH[2]}))
    is_listed "$name" || die "REPLICAS: no process '$name' (known: ${SERVICES[*]%%:*})"
    ((count >= 1 && count <= MAX_REPLICAS)) ||
      die "REPLICAS: $name=$count: the count must be 1 to $MAX_REPLICAS (replica k listens on port + $REPLICA_PORT_STEP*(k-1), below the metrics ports at + 1000)"
    if ((count > 1)) && [[ " ${ONE_PER_FERRETDB[*]} " == *" $name "* ]]; then
      die "REPLICAS: $name=$count: $name writes to FerretDB, which does not isolate concurrent writes to one document (docs/scaling.md): run one $name per FerretDB"
    fi
    REPLICA_COUNT[$name]=$count
  done
}

replicas_of() { echo "${REPLICA_COUNT[$1]:-1}"; }

instance_of() { # name k: replica 1 is the name itself, replica k is <name>-<k>
  if (($2 == 1)); then echo "$1"; else echo "$1-$2"; fi
}

replica_port() { # name k
  echo $(($(port_of "$1") + REPLICA_PORT_STEP * ($2 - 1)))
}

addresses_of() { # name: every replica's 127.0.0.1:port, comma-separated
  local k addresses=()
  for ((k = 1; k <= $(replicas_of "$1"); k++)); do
    addresses+=("127.0.0.1:$(replica_port "$1" "$k")")
  done
  (
    IFS=,
    echo "${addresses[*]}"
  )
}

# What every process is started with besides its port: <SERVICE>_ADDR of every gRPC service (all its
# replicas), and with NATS_NODES=3 the cluster's NATS_URL and STREAM_REPLICAS.
shared_environment() {
  local entry name variable
  SHARED_ENV=()
  for entry in "${SERVICES[@]}"; do
    name="${entry%%:*}"
    [[ "$name" == bff-* ]] && continue
    variable="${name^^}_ADDR"
    SHARED_ENV+=("$variable=$(addresses_of "$name")")
  done
  if [[ "${NATS_NODES:-1}" == 3 ]]; then
    local port="${NATS_PORT:-4222}"
    SHARED_ENV+=("NATS_URL=nats://127.0.0.1:$port,nats://127.0.0.1:$((port + 1)),nats://127.0.0.1:$((port + 2))")
    SHARED_ENV+=("STREAM_REPLICAS=${STREAM_REPLICAS:-3}")
  fi
}

is_started() { # name
  local entry
  for entry in "${STARTED[@]}"; do
    [[ "${entry%%:*}" == "$1" ]] && return 0
  done
  return 1
}

healthy() { # name port: GET /readyz, on a BFF's port or a service's metrics port (gRPC port + 1000)
  local port="$2"
  if [[ "$1" != bff-* ]]; then port=$(($2 + 1000)); fi
  curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null
}

start_service() { # name k: replica k of the process
  local name="$1" instance port main log pid deadline
  instance="$(instance_of "$name" "$2")"
  port="$(replica_port "$name" "$2")"
  main="$(service_main "$name")"
  if [[ ! -f "$main" ]]; then
    say "$instance: not built (no ${main#"$REPO_ROOT/"}): skipped"
    SKIPPED+=("$instance")
    return 0
  fi
  local metrics_port=$((port + 1000)) busy holder
  for busy in "$port" "$metrics_port"; do
    if port_open "$busy"; then
      holder="$(port_holder "$busy")"
      die "$instance: port $busy is already in use${holder:+ by $holder}; stop that process first"
    fi
  done
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  log="$LOG_DIR/$instance.log"
  if [[ -f "$log" ]]; then mv -f "$log" "$log.1"; fi
  # setsid: its own session, so a Ctrl-C in this terminal reaches this script only, which then
  # stops the services with SIGTERM; with --detach they outlive the terminal. Without job control
  # setsid does not fork, so $! is the node process itself.
  (cd "$REPO_ROOT" && exec setsid env "${SHARED_ENV[@]}" LOG_LEVEL=info GRPC_PORT="$port" PORT="$port" \
    METRICS_PORT="$metrics_port" TLS_DIR="$TLS_ROOT/$name" node "$main" </dev/null >"$log" 2>&1) &
  pid=$!
  echo "$pid" >"$(service_pid_file "$instance")"
  STARTED+=("$instance:$pid")
  say "$instance: starting on 127.0.0.1:$port (pid $pid, log ${log#"$REPO_ROOT/"}) ..."
  deadline=$((SECONDS + READY_DEADLINE))
  until healthy "$name" "$port"; do
    alive "$pid" || fail_service "$instance" "$pid" "$instance exited during start-up"
    ((SECONDS < deadline)) || fail_service "$instance" "$pid" "$instance did not report SERVING within ${READY_DEADLINE}s"
    sleep 0.2
  done
  say "$instance: SERVING"
}

read_replicas
shared_environment

# --- 1. the checkout ------------------------------------------------------------------------
cd "$REPO_ROOT"
ensure_node
if ((SKIP_BUILD == 0)); then
  ensure_node_deps
  ensure_tools
  build
fi
issue_certs operator nats "${SERVICES[@]%%:*}" # a service added to SERVICES gets its certificate too

# --- 2. the infrastructure ------------------------------------------------------------------
infra="$("$REPO_ROOT/scripts/infra.sh" up)" || die "scripts/infra.sh up failed (see above)"

# --- 3. the services --------------------------------------------------------------------------
stopped="$(stop_recorded_services)"
if ((stopped > 0)); then say "stopped $stopped service(s) left by an earlier up, to run the fresh build"; fi
for entry in "${SERVICES[@]}"; do
  for ((k = 1; k <= $(replicas_of "${entry%%:*}"); k++)); do
    start_service "${entry%%:*}" "$k"
  done
done
((${#STARTED[@]} > 0)) || die "no service is built (no services/*/dist/src/main.js); see the build output above"

# --- 4. the demo data ---------------------------------------------------------------------------
if is_started accounts; then
  say "seeding the demo data ..."
  TLS_DIR="$TLS_ROOT/operator" ACCOUNTS_ADDR="$(addresses_of accounts)" CATALOG_ADDR="$(addresses_of catalog)" \
    node "$REPO_ROOT/scripts/dist/seed.js" || die "the seed failed (see above); the services are being stopped"
else
  say "accounts is not running: no demo data"
fi

# --- 5. what is where -----------------------------------------------------------------------
rel() { echo "${1#"$REPO_ROOT/"}"; }
{
  echo
  echo "Marquee is up ($((SECONDS - started_at)) s)."
  echo
  printf '  %-12s %-40s %s\n' "SERVICE" "gRPC (mutual TLS, reflection, health)" "LOG"
  for entry in "${SERVICES[@]}"; do
    name="${entry%%:*}"
    if ! is_started "$name"; then
      printf '  %-12s %s\n' "$name" "not built yet (no $(rel "$(service_main "$name")"))"
      continue
    fi
    for ((k = 1; k <= $(replicas_of "$name"); k++)); do
      instance="$(instance_of "$name" "$k")"
      address="127.0.0.1:$(replica_port "$name" "$k")"
      if [[ "$name" == bff-* ]]; then address="http://$address (HTTP)"; fi
      printf '  %-12s %-40s %s\n' "$instance" "$address" "$(rel "$LOG_DIR/$instance.log")"
    done
  done
  echo
  printf '  %-12s %s\n' "INFRA" "URL (state)"
  while read -r component rest; do
    printf '  %-12s %s\n' "$component" "$rest"
  done <<<"$infra"
  echo "  accounts' database: postgres://postgres@127.0.0.1:5432/marquee_accounts"
  echo "  infra logs: $(rel "$LOG_DIR")/nats.log, $(rel "$LOG_DIR")/ferretdb.log, /var/log/postgresql/"
  echo
  accounts="127.0.0.1:$(port_of accounts)"
  echo "Try (scripts/grpcurl.sh is grpcurl with the operator's certificate, $(rel "$TLS_ROOT")/operator):"
  echo "  scripts/grpcurl.sh $accounts list"
  echo "  scripts/grpcurl.sh $accounts grpc.health.v1.Health/Check"
  echo "  scripts/grpcurl.sh $accounts describe marquee.accounts.v1.AccountsService"
  echo "  scripts/grpcurl.sh -d '{\"email\": \"buyer@marquee.test\", \"password\": \"marquee-demo-password\"}' \\"
  echo "      $accounts marquee.accounts.v1.AccountsService/Authenticate"
  if is_started catalog; then
    echo "  scripts/grpcurl.sh -d '{\"text\": \"jazz\"}' 127.0.0.1:$(port_of catalog) marquee.catalog.v1.CatalogService/ListShows"
  fi
  echo "  tail -f $(rel "$LOG_DIR")/accounts.log"
  if is_started bff-ops; then
    echo
    echo "Operations console: http://127.0.0.1:$(port_of bff-ops)/ (operator@marquee.test, password marquee-demo-password;"
    echo "  sagas, dead letters, projections, the audit log and any order as it was: docs/operations.md)"
  fi
  echo
}

if ((DETACH == 1)); then
  KEEP=1
  say "detached: the services keep running; scripts/down.sh stops them (and scripts/infra.sh stop the infrastructure)"
  exit 0
fi

RUNNING=1
say "running; Ctrl-C stops the services (the infrastructure keeps running)"
# Wait for Ctrl-C / SIGTERM (the traps above); report a service that dies on its own.
while ((${#STARTED[@]} > 0)); do
  pids=("${STARTED[@]#*:}")
  exited=""
  code=0
  wait -n -p exited "${pids[@]}" || code=$?
  [[ -n "$exited" ]] || continue
  remaining=()
  for entry in "${STARTED[@]}"; do
    if [[ "${entry#*:}" == "$exited" ]]; then
      say "${entry%%:*} (pid $exited) exited on its own with code $code; see $(rel "$LOG_DIR/${entry%%:*}.log")"
      rm -f "$(service_pid_file "${entry%%:*}")"
    else
      remaining+=("$entry")
    fi
  done
  STARTED=("${remaining[@]}")
done
die "every service has exited"
