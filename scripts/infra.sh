#!/usr/bin/env bash
# Local infrastructure for running and testing Marquee without Docker.
#
#   scripts/infra.sh [up]    install the pinned tools (scripts/tools.sh), then make sure that
#                            PostgreSQL, NATS (JetStream) and FerretDB (MongoDB wire protocol,
#                            SQLite storage) answer on 127.0.0.1; prints one line per component
#                            with its URL on stdout (progress goes to stderr). NATS runs with TLS
#                            and one user per workload certificate (docs/security.md): it needs the
#                            build (npm run build) for its configuration and certificates
#   scripts/infra.sh stop    stop the NATS and FerretDB that this script started (not PostgreSQL)
#   scripts/infra.sh restart stop, then up
#   scripts/infra.sh status  print what is running, change nothing
#
# Ports come from the environment: PG_PORT (or PGPORT, 5432), NATS_PORT (4222),
# NATS_MONITOR_PORT (8222), MONGO_PORT (27017). State lives in the git-ignored <repo>/.data:
# nats/ and ferretdb/ (data), nats.conf, tls/ (certificates), ferretdb-state/, logs/*.log, run/*.pid.
# Idempotent: what already runs is left alone, so a second `up` takes well under a second.
#
# NATS_NODES=3 runs a three-node JetStream cluster instead of the one server (as production:
# routes over TLS, `sync_interval: always`): node i listens on NATS_PORT+i-1 (4222-4224), routes
# on NATS_CLUSTER_PORT+i-1 (6222-6224) and monitors on NATS_MONITOR_PORT+i-1 (8222-8224), with
# nats-i/ (data), nats-i.conf, logs/nats-i.log and run/nats-server-i.pid. The nats line then
# gives every node's URL, comma-separated: NATS_URL for the services (with STREAM_REPLICAS=3 for
# replicated streams). `up` with the other NATS_NODES stops the layout that runs and starts this
# one; each keeps its own data. `stop` and `status` handle both.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
TOOLS_BIN="$REPO_ROOT/.tools/bin"
DATA_DIR="$REPO_ROOT/.data"
RUN_DIR="$DATA_DIR/run"
LOG_DIR="$DATA_DIR/logs"
TLS_ROOT="$DATA_DIR/tls"
NATS_CONF="$DATA_DIR/nats.conf"
PLATFORM_BIN="$REPO_ROOT/packages/platform/dist/src/bin"

HOST="127.0.0.1"
PG_PORT="${PG_PORT:-${PGPORT:-5432}}"
NATS_PORT="${NATS_PORT:-4222}"
NATS_MONITOR_PORT="${NATS_MONITOR_PORT:-8222}"
NATS_CLUSTER_PORT="${NATS_CLUSTER_PORT:-6222}"
NATS_NODES="${NATS_NODES:-1}"
MONGO_PORT="${MONGO_PORT:-27017}"
CLUSTER_NODES=3 # the one cluster size: a quorum survives one node

PG_DEADLINE=30
NATS_DEADLINE=15
NATS_CLUSTER_DEADLINE=60
FERRETDB_DEADLINE=15

log() { echo "infra: $*" >&2; }
die() {
  echo "infra.sh: error: $*" >&2
  exit 1
}

for port_var in PG_PORT NATS_PORT NATS_MONITOR_PORT NATS_CLUSTER_PORT MONGO_PORT; do
  [[ "${!port_var}" =~ ^[0-9]+$ ]] || die "$port_var must be a port number, got '${!port_var}'"
done
[[ "$NATS_NODES" == 1 || "$NATS_NODES" == "$CLUSTER_NODES" ]] ||
  die "NATS_NODES must be 1 (one server) or $CLUSTER_NODES (a JetStream cluster), got '$NATS_NODES'"

# --- process helpers ------------------------------------------------------------------------

port_open() { # port: true when something accepts TCP connections on HOST:port
  (: <>"/dev/tcp/$HOST/$1") 2>/dev/null
}

listener_pid() { # port: pid of the process listening on it (empty when unknown)
  local out=""
  if command -v ss >/dev/null 2>&1; then
    out="$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 || true)"
    out="${out#pid=}"
  elif command -v lsof >/dev/null 2>&1; then
    out="$(lsof -t -nP -iTCP:"$1" -sTCP:LISTEN 2>/dev/null | head -n 1 || true)"
  fi
  echo "$out"
}

alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

exe_of() { # pid: the executable's path (without the " (deleted)" suffix of a replaced binary)
  local exe
  exe="$(readlink "/proc/$1/exe" 2>/dev/null || true)"
  echo "${exe% (deleted)}"
}

describe() { # pid: "pid 123, /path/to/exe" for messages
  local exe comm
  exe="$(exe_of "$1")"
  comm="$(cat "/proc/$1/comm" 2>/dev/null || echo '?')"
  echo "pid $1, ${exe:-$comm}"
}

is_ours() { # pid tool
  alive "$1" && [[ "$(exe_of "$1")" == "$TOOLS_BIN/$2" ]]
}

pid_file() { echo "$RUN_DIR/$1.pid"; }

runs_with() { # pid config: true when config is empty or the process was started with -c <config>
  [[ -z "$2" ]] || tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "-c $2 "
}

# tool port [pid-name] [config]: pid of our running instance (from the pid file <pid-name>.pid, else
# the port's listener); with a config, only an instance started with -c <config> counts.
our_pid() {
  local tool="$1" port="$2" name="${3:-$1}" config="${4:-}" file pid=""
  file="$(pid_file "$name")"
  if [[ -f "$file" ]]; then
    pid="$(<"$file")"
    if ! is_ours "$pid" "$tool" || ! runs_with "$pid" "$config"; then
      rm -f "$file" # stale
      pid=""
    fi
  fi
  if [[ -z "$pid" ]]; then
    pid="$(listener_pid "$port")"
    if is_ours "$pid" "$tool" && runs_with "$pid" "$config"; then
      mkdir -p "$RUN_DIR"
      echo "$pid" >"$file" # adopt one started by hand or by an earlier checkout of this script
    else
      pid=""
    fi
  fi
  echo "$pid"
}

# tool log-file args...: starts .tools/bin/<tool> detached, prints its pid (pid file <tool>.pid,
# or <PID_NAME>.pid when set)
start_daemon() {
  local tool="$1" logfile="$2"
  shift 2
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  printf '\n===== %s infra.sh: starting %s %s\n' "$(date -Is)" "$tool" "$*" >>"$logfile"
  # setsid: own session, so stopping the caller's process group (Ctrl-C, CI job end) does not
  # take the server down with it. Without job control setsid does not fork, so $! is the pid.
  (cd "$DATA_DIR" && exec setsid nohup "$TOOLS_BIN/$tool" "$@" </dev/null >>"$logfile" 2>&1) &
  local pid=$!
  echo "$pid" >"$(pid_file "${PID_NAME:-$tool}")"
  echo "$pid"
}

stop_pid() { # pid what: TERM, wait up to 10 s, then KILL
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  log "$2 (pid $pid) did not exit after SIGTERM within 10 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

wait_port_free() { # port what
  local i
  for ((i = 0; i < 100; i++)); do
    port_open "$1" || return 0
    sleep 0.1
  done
  die "port $1 is still in use 10 s after stopping $2"
}

fail_start() { # log-file message...
  local logfile="$1"
  shift
  log "last lines of $logfile:"
  tail -n 25 "$logfile" >&2 || true
  die "$*"
}

nats_version_of() { # pid: version reported by the running binary, e.g. v2.9.10 (empty if unknown)
  local out
  out="$(timeout 5 "/proc/$1/exe" --version 2>/dev/null || true)"
  grep -o 'v[0-9][0-9.]*' <<<"$out" | head -n 1 || true
}

tool_version() { # tool: the pinned version installed by tools.sh (from its stamp file)
  local stamp="$TOOLS_BIN/.$1.version" spec
  [[ -f "$stamp" ]] || return 0
  spec="$(<"$stamp")"
  spec="${spec%% *}"
  echo "${spec##*@}"
}

# --- PostgreSQL -----------------------------------------------------------------------------

pg_ready() { pg_isready -q -h "$HOST" -p "$PG_PORT" -t 2; }

ensure_postgres() {
  command -v pg_isready >/dev/null 2>&1 ||
    die "pg_isready not found: install the PostgreSQL client (apt-get install postgresql-client)"
  local state="already running"
  if ! pg_ready; then
    command -v pg_ctlcluster >/dev/null 2>&1 ||
      die "PostgreSQL is not accepting connections on $HOST:$PG_PORT and pg_ctlcluster is not" \
        "installed to start it (apt-get install postgresql)"
    local version="" cluster=""
    if command -v pg_lsclusters >/dev/null 2>&1; then # the cluster configured for PG_PORT
      read -r version cluster < <(pg_lsclusters -h | awk -v p="$PG_PORT" '$3 == p { print $1, $2; exit }') || true
    else # the newest installed major version's "main"
      version="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V | tail -n 1 || true)"
      cluster="main"
    fi
    [[ -n "$version" ]] ||
      die "PostgreSQL is not accepting connections on $HOST:$PG_PORT and no cluster is configured for" \
        "that port (see pg_lsclusters; create one with pg_createcluster, or set PG_PORT)"
    log "starting PostgreSQL cluster $version/$cluster ..."
    pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start ||
      die "could not start PostgreSQL cluster $version/$cluster (see /var/log/postgresql/postgresql-$version-$cluster.log)"
    local deadline=$((SECONDS + PG_DEADLINE))
    until pg_ready; do
      ((SECONDS < deadline)) ||
        die "PostgreSQL $version/$cluster did not accept connections on $HOST:$PG_PORT within ${PG_DEADLINE}s" \
          "(see /var/log/postgresql/postgresql-$version-$cluster.log)"
      sleep 0.2
    done
    state="started cluster $version/$cluster"
  fi
  echo "postgres  postgres://$HOST:$PG_PORT  ($state)"
}

# --- NATS -----------------------------------------------------------------------------------

nats_healthy() {
  curl -fsS --max-time 2 "http://$HOST:$NATS_MONITOR_PORT/healthz?js-enabled-only=true" >/dev/null 2>&1
}

# Frees a NATS port when a nats-server we did not start holds it: Marquee's needs TLS and its users,
# so another one cannot stand in. The system's own (Debian's, from /usr/sbin) is stopped.
free_nats_port() { # pid [port]
  local pid="$1" port="${2:-$NATS_PORT}" exe comm
  exe="$(exe_of "$pid")"
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  if [[ "${exe##*/}" != nats-server* && "$comm" != nats-server* ]]; then
    die "port $port is held by another program ($(describe "$pid")); stop it or set NATS_PORT"
  fi
  if [[ "$exe" != /usr/sbin/nats-server && "$exe" != /usr/bin/nats-server ]]; then
    die "port $port is held by a nats-server infra.sh did not start ($(describe "$pid")); Marquee's runs" \
      "with TLS and per-service users: stop that one or set NATS_PORT/NATS_MONITOR_PORT"
  fi
  log "stopping the system's nats-server on port $port ($(describe "$pid")): Marquee runs its own, with TLS and users"
  if command -v start-stop-daemon >/dev/null 2>&1; then
    start-stop-daemon --stop --quiet --oknodo --retry TERM/10/KILL/5 --exec "$exe" ||
      die "could not stop $exe (pid $pid)"
  else
    stop_pid "$pid" "nats-server"
  fi
  wait_port_free "$port" "nats-server (pid $pid)"
}

issue_nats_certificates() {
  [[ -f "$PLATFORM_BIN/nats-config.js" ]] || die "no ${PLATFORM_BIN#"$REPO_ROOT/"}/nats-config.js: build first (npm run build)"
  node "$PLATFORM_BIN/issue-certs.js" --dir "$TLS_ROOT" >/dev/null || die "could not issue the certificates (see above)"
}

# Writes a NATS configuration (nats-config.js) to <config-file>.next.
render_nats_config() { # config-file store-dir port monitor-port [nats-config options...]
  local config="$1" store="$2" port="$3" monitor="$4"
  shift 4
  node "$PLATFORM_BIN/nats-config.js" --tls-dir "$TLS_ROOT/nats" --store "$store" \
    --host "$HOST" --port "$port" --http-port "$monitor" "$@" >"$config.next" ||
    die "could not write the NATS configuration $config (see above)"
}

install_nats_config() { # config-file: puts the rendered one in place; true when it changed
  local config="$1" next="$1.next"
  if [[ -f "$config" ]] && cmp -s "$next" "$config"; then
    rm -f "$next"
    return 1
  fi
  mv -f "$next" "$config"
}

write_nats_config() { # as render_nats_config; true when the configuration changed
  render_nats_config "$@"
  install_nats_config "$1"
}

# Node i of the cluster: its ports and files.
node_port() { echo $((NATS_PORT + $1 - 1)); }
node_cluster_port() { echo $((NATS_CLUSTER_PORT + $1 - 1)); }
node_monitor_port() { echo $((NATS_MONITOR_PORT + $1 - 1)); }
node_conf() { echo "$DATA_DIR/nats-$1.conf"; }
node_pid() { our_pid nats-server "$(node_port "$1")" "nats-server-$1" "$(node_conf "$1")"; }
cluster_url() {
  local i urls=()
  for ((i = 1; i <= CLUSTER_NODES; i++)); do urls+=("nats://$HOST:$(node_port "$i")"); done
  (IFS=,; echo "${urls[*]}")
}
single_pid() { our_pid nats-server "$NATS_PORT" nats-server "$NATS_CONF"; }

# Stops what runs of one layout (single, or cluster) before `up` starts the other; both keep their data.
stop_nats_layout() { # single|cluster
  local i pid
  if [[ "$1" == single ]]; then
    pid="$(single_pid)"
    [[ -n "$pid" ]] || return 0
    log "stopping the single nats-server (pid $pid): NATS_NODES=$NATS_NODES runs a cluster instead (its data stays in $DATA_DIR/nats)"
    stop_pid "$pid" "nats-server"
    rm -f "$(pid_file nats-server)"
    wait_port_free "$NATS_PORT" "nats-server (pid $pid)"
    return 0
  fi
  for ((i = 1; i <= CLUSTER_NODES; i++)); do
    pid="$(node_pid "$i")"
    [[ -n "$pid" ]] || continue
    log "stopping cluster node nats-$i (pid $pid): NATS_NODES=1 runs one server instead (the cluster's data stays in $DATA_DIR/nats-$i)"
    stop_pid "$pid" "nats-server"
    rm -f "$(pid_file "nats-server-$i")"
    wait_port_free "$(node_port "$i")" "nats-server (pid $pid)"
  done
}

# Fails unless a port is free, or held by a system nats-server that can be stopped (free_nats_port).
claim_nats_port() { # port what
  local holder
  holder="$(listener_pid "$1")"
  if [[ -n "$holder" ]]; then
    [[ "$2" == client ]] || die "the NATS $2 port $1 is in use by $(describe "$holder"); free it or set the NATS_*_PORT"
    free_nats_port "$holder" "$1"
  elif port_open "$1"; then
    die "port $1 accepts connections but its process is not visible (another user's?); free it or set NATS_PORT"
  fi
}

warn_if_not_pinned() { # pid
  local running pinned
  running="$(nats_version_of "$1")"
  pinned="$(tool_version nats-server)"
  if [[ -n "$pinned" && -n "$running" && "$running" != "$pinned" ]]; then
    log "warning: the running nats-server is $running but the pinned one is $pinned: run scripts/infra.sh restart"
  fi
  echo "$running"
}

ensure_nats() {
  command -v curl >/dev/null 2>&1 || die "curl is required to check NATS health (apt-get install curl)"
  if ((NATS_NODES > 1)); then
    ensure_nats_cluster
    return
  fi
  local pid state logfile="$LOG_DIR/nats.log" running changed=0
  mkdir -p "$DATA_DIR"
  stop_nats_layout cluster
  issue_nats_certificates
  if write_nats_config "$NATS_CONF" "$DATA_DIR/nats" "$NATS_PORT" "$NATS_MONITOR_PORT"; then changed=1; fi
  pid="$(our_pid nats-server "$NATS_PORT")"
  if [[ -n "$pid" ]] && { ((changed == 1)) || ! runs_with "$pid" "$NATS_CONF"; }; then
    log "restarting our nats-server (pid $pid): its configuration changed (TLS, users)"
    stop_pid "$pid" "nats-server"
    rm -f "$(pid_file nats-server)"
    wait_port_free "$NATS_PORT" "nats-server (pid $pid)"
    pid=""
  fi
  if [[ -n "$pid" ]]; then
    [[ "$(listener_pid "$NATS_PORT")" == "$pid" ]] ||
      die "our nats-server (pid $pid) is not listening on port $NATS_PORT (started with other ports?); run scripts/infra.sh restart"
    state="already running, pid $pid"
  else
    claim_nats_port "$NATS_PORT" client
    claim_nats_port "$NATS_MONITOR_PORT" monitoring
    mkdir -p "$DATA_DIR/nats"
    log "starting nats-server on $HOST:$NATS_PORT (JetStream store $DATA_DIR/nats, log $logfile) ..."
    pid="$(start_daemon nats-server "$logfile" -c "$NATS_CONF")"
    state="started, pid $pid"
  fi
  local deadline=$((SECONDS + NATS_DEADLINE))
  until nats_healthy; do
    alive "$pid" || fail_start "$logfile" "nats-server (pid $pid) exited during start-up"
    ((SECONDS < deadline)) ||
      fail_start "$logfile" "nats-server (pid $pid) not healthy with JetStream within ${NATS_DEADLINE}s" \
        "(http://$HOST:$NATS_MONITOR_PORT/healthz?js-enabled-only=true)"
    sleep 0.1
  done
  running="$(warn_if_not_pinned "$pid")"
  echo "nats      nats://$HOST:$NATS_PORT  (nats-server ${running:-?}, JetStream, TLS + a user per workload, monitor http://$HOST:$NATS_MONITOR_PORT; $state)"
}

# The cluster is ready when every node is healthy: routed to the others and current with the
# JetStream meta leader (/healthz without js-enabled-only checks that).
cluster_node_healthy() { # i
  curl -fsS --max-time 2 "http://$HOST:$(node_monitor_port "$1")/healthz" >/dev/null 2>&1
}

ensure_nats_cluster() {
  local i pid config changed routes=() pids=() started=0 running="" deadline
  mkdir -p "$DATA_DIR"
  stop_nats_layout single
  issue_nats_certificates
  for ((i = 1; i <= CLUSTER_NODES; i++)); do routes+=(--route "nats-route://$HOST:$(node_cluster_port "$i")"); done
  local rendering=()
  for ((i = 1; i <= CLUSTER_NODES; i++)); do # side by side: each is a node start-up
    render_nats_config "$(node_conf "$i")" "$DATA_DIR/nats-$i" "$(node_port "$i")" "$(node_monitor_port "$i")" \
      --server-name "marquee-nats-$i" --sync-always --cluster-name marquee \
      --cluster-port "$(node_cluster_port "$i")" "${routes[@]}" &
    rendering+=($!)
  done
  for pid in "${rendering[@]}"; do wait "$pid" || die "could not write the cluster's NATS configuration (see above)"; done
  for ((i = 1; i <= CLUSTER_NODES; i++)); do
    config="$(node_conf "$i")"
    changed=0
    if install_nats_config "$config"; then changed=1; fi
    pid="$(node_pid "$i")"
    if [[ -n "$pid" ]] && ((changed == 1)); then
      log "restarting cluster node nats-$i (pid $pid): its configuration changed (TLS, users, routes)"
      stop_pid "$pid" "nats-server"
      rm -f "$(pid_file "nats-server-$i")"
      wait_port_free "$(node_port "$i")" "nats-server (pid $pid)"
      pid=""
    fi
    if [[ -z "$pid" ]]; then
      claim_nats_port "$(node_port "$i")" client
      claim_nats_port "$(node_cluster_port "$i")" cluster
      claim_nats_port "$(node_monitor_port "$i")" monitoring
      mkdir -p "$DATA_DIR/nats-$i"
      log "starting cluster node nats-$i on $HOST:$(node_port "$i") (store $DATA_DIR/nats-$i, log $LOG_DIR/nats-$i.log) ..."
      pid="$(PID_NAME="nats-server-$i" start_daemon nats-server "$LOG_DIR/nats-$i.log" -c "$config")"
      started=$((started + 1))
    fi
    pids+=("$pid")
  done
  deadline=$((SECONDS + NATS_CLUSTER_DEADLINE))
  for ((i = 1; i <= CLUSTER_NODES; i++)); do
    pid="${pids[i - 1]}"
    until cluster_node_healthy "$i"; do
      alive "$pid" || fail_start "$LOG_DIR/nats-$i.log" "cluster node nats-$i (pid $pid) exited during start-up"
      ((SECONDS < deadline)) ||
        fail_start "$LOG_DIR/nats-$i.log" "cluster node nats-$i (pid $pid) not current with the JetStream cluster" \
          "within ${NATS_CLUSTER_DEADLINE}s (http://$HOST:$(node_monitor_port "$i")/healthz)"
      sleep 0.2
    done
    running="$(warn_if_not_pinned "$pid")"
  done
  local state="already running, pids ${pids[*]}"
  ((started == 0)) || state="$started node(s) started, pids ${pids[*]}"
  echo "nats      $(cluster_url)  (nats-server ${running:-?}, JetStream cluster of $CLUSTER_NODES, sync_interval always," \
    "STREAM_REPLICAS=3 for R3 streams, TLS + a user per workload, monitor http://$HOST:$(node_monitor_port 1)-$(node_monitor_port "$CLUSTER_NODES"); $state)"
}

# --- FerretDB -------------------------------------------------------------------------------

ensure_ferretdb() {
  local pid state logfile="$LOG_DIR/ferretdb.log"
  pid="$(our_pid ferretdb "$MONGO_PORT")"
  if [[ -n "$pid" ]]; then
    [[ "$(listener_pid "$MONGO_PORT")" == "$pid" ]] ||
      die "our ferretdb (pid $pid) is not listening on port $MONGO_PORT (started with another port?); run scripts/infra.sh restart"
    state="already running, pid $pid"
  else
    local holder
    holder="$(listener_pid "$MONGO_PORT")"
    if [[ -n "$holder" ]]; then
      die "port $MONGO_PORT is held by another program ($(describe "$holder")); stop it or set MONGO_PORT"
    elif port_open "$MONGO_PORT"; then
      die "port $MONGO_PORT accepts connections but its process is not visible (another user's?); free it or set MONGO_PORT"
    fi
    mkdir -p "$DATA_DIR/ferretdb" "$DATA_DIR/ferretdb-state"
    log "starting ferretdb on $HOST:$MONGO_PORT (SQLite in $DATA_DIR/ferretdb, log $logfile) ..."
    pid="$(start_daemon ferretdb "$logfile" \
      --handler=sqlite \
      --sqlite-url="file:$DATA_DIR/ferretdb/" \
      --listen-addr="$HOST:$MONGO_PORT" \
      --state-dir="$DATA_DIR/ferretdb-state" \
      --debug-addr=- \
      --telemetry=disable \
      --log-level=info)"
    state="started, pid $pid"
  fi
  # An instance found running was already seen listening (ss); only probe a fresh start, as every
  # probe connection leaves a "Connection started/stopped" pair in the FerretDB log.
  local deadline=$((SECONDS + FERRETDB_DEADLINE))
  until [[ "$state" == already* ]] || port_open "$MONGO_PORT"; do
    alive "$pid" || fail_start "$logfile" "ferretdb (pid $pid) exited during start-up"
    ((SECONDS < deadline)) ||
      fail_start "$logfile" "ferretdb (pid $pid) did not accept connections on $HOST:$MONGO_PORT within ${FERRETDB_DEADLINE}s"
    sleep 0.1
  done
  echo "mongodb   mongodb://$HOST:$MONGO_PORT  (ferretdb $(tool_version ferretdb), SQLite; $state)"
}

# --- commands -------------------------------------------------------------------------------

cmd_up() {
  "$SCRIPT_DIR/tools.sh" -q
  ensure_postgres
  ensure_nats
  ensure_ferretdb
}

cmd_stop() {
  local tool port pid i
  # A cluster's nodes first: node 1 listens on NATS_PORT, where the single server would.
  for ((i = 1; i <= CLUSTER_NODES; i++)); do
    pid="$(node_pid "$i")"
    # In parallel: each takes a second or two to shut down gracefully.
    [[ -z "$pid" ]] || (stop_pid "$pid" "nats-$i" && rm -f "$(pid_file "nats-server-$i")" && log "stopped cluster node nats-$i (pid $pid)") &
  done
  wait
  for tool in nats-server:"$NATS_PORT" ferretdb:"$MONGO_PORT"; do
    port="${tool#*:}"
    tool="${tool%%:*}"
    pid="$(our_pid "$tool" "$port")"
    if [[ -n "$pid" ]]; then
      (stop_pid "$pid" "$tool" && rm -f "$(pid_file "$tool")" && log "stopped $tool (pid $pid)") &
    elif [[ "$tool" == nats-server ]]; then
      log "$tool: no single server running (none started by infra.sh)"
    else
      log "$tool: not running (none started by infra.sh)"
    fi
  done
  wait
}

status_nats_cluster() { # true when a node of the cluster runs (and its line was printed)
  local i pid nodes=() found=0 healthy=0
  for ((i = 1; i <= CLUSTER_NODES; i++)); do
    pid="$(node_pid "$i")"
    if [[ -n "$pid" ]]; then
      found=1
      if cluster_node_healthy "$i"; then
        healthy=$((healthy + 1))
        nodes+=("nats-$i healthy, pid $pid")
      else
        nodes+=("nats-$i UNHEALTHY, pid $pid")
      fi
    else
      nodes+=("nats-$i DOWN")
    fi
  done
  ((found == 1)) || return 1
  local summary="cluster, $healthy of $CLUSTER_NODES healthy" listed
  ((healthy == CLUSTER_NODES)) || summary="CLUSTER DEGRADED, $healthy of $CLUSTER_NODES healthy"
  listed="$(IFS=';' && echo "${nodes[*]}")"
  echo "nats      $(cluster_url)  ($summary: ${listed//;/, })"
}

cmd_status() {
  local pid
  if command -v pg_isready >/dev/null 2>&1 && pg_ready; then
    echo "postgres  postgres://$HOST:$PG_PORT  (accepting connections)"
  else
    echo "postgres  postgres://$HOST:$PG_PORT  (DOWN)"
  fi
  if status_nats_cluster; then
    :
  else
    pid="$(our_pid nats-server "$NATS_PORT")"
    if nats_healthy; then
      echo "nats      nats://$HOST:$NATS_PORT  (healthy${pid:+, ours, pid $pid})"
    elif [[ -n "$(listener_pid "$NATS_PORT")" ]]; then
      echo "nats      nats://$HOST:$NATS_PORT  (NOT OURS/UNHEALTHY: $(describe "$(listener_pid "$NATS_PORT")"))"
    else
      echo "nats      nats://$HOST:$NATS_PORT  (DOWN)"
    fi
  fi
  pid="$(our_pid ferretdb "$MONGO_PORT")"
  if [[ -n "$pid" ]]; then
    echo "mongodb   mongodb://$HOST:$MONGO_PORT  (ours, pid $pid)"
  elif port_open "$MONGO_PORT"; then
    echo "mongodb   mongodb://$HOST:$MONGO_PORT  (NOT OURS: $(describe "$(listener_pid "$MONGO_PORT")"))"
  else
    echo "mongodb   mongodb://$HOST:$MONGO_PORT  (DOWN)"
  fi
}

case "${1:-up}" in
  up) cmd_up ;;
  stop) cmd_stop ;;
  restart)
    cmd_stop
    cmd_up
    ;;
  status) cmd_status ;;
  -h | --help | help) sed -n '2,25s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" ;;
  *) die "unknown command '$1' (use up, stop, restart, status or --help)" ;;
esac
