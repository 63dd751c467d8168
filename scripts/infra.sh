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
MONGO_PORT="${MONGO_PORT:-27017}"

PG_DEADLINE=30
NATS_DEADLINE=15
FERRETDB_DEADLINE=15

log() { echo "infra: $*" >&2; }
die() {
  echo "infra.sh: error: $*" >&2
  exit 1
}

for port_var in PG_PORT NATS_PORT NATS_MONITOR_PORT MONGO_PORT; do
  [[ "${!port_var}" =~ ^[0-9]+$ ]] || die "$port_var must be a port number, got '${!port_var}'"
done

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

our_pid() { # tool port: pid of our running instance (from the pid file, else the port's listener)
  local file pid=""
  file="$(pid_file "$1")"
  if [[ -f "$file" ]]; then
    pid="$(<"$file")"
    if ! is_ours "$pid" "$1"; then
      rm -f "$file" # stale
      pid=""
    fi
  fi
  if [[ -z "$pid" ]]; then
    pid="$(listener_pid "$2")"
    if is_ours "$pid" "$1"; then
      mkdir -p "$RUN_DIR"
      echo "$pid" >"$file" # adopt one started by hand or by an earlier checkout of this script
    else
      pid=""
    fi
  fi
  echo "$pid"
}

start_daemon() { # tool log-file args...: starts .tools/bin/<tool> detached, prints its pid
  local tool="$1" logfile="$2"
  shift 2
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  printf '\n===== %s infra.sh: starting %s %s\n' "$(date -Is)" "$tool" "$*" >>"$logfile"
  # setsid: own session, so stopping the caller's process group (Ctrl-C, CI job end) does not
  # take the server down with it. Without job control setsid does not fork, so $! is the pid.
  (cd "$DATA_DIR" && exec setsid nohup "$TOOLS_BIN/$tool" "$@" </dev/null >>"$logfile" 2>&1) &
  local pid=$!
  echo "$pid" >"$(pid_file "$tool")"
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

# Frees NATS_PORT when a nats-server we did not start holds it: Marquee's needs TLS and its users,
# so another one cannot stand in. The system's own (Debian's, from /usr/sbin) is stopped.
free_nats_port() { # pid
  local pid="$1" exe comm
  exe="$(exe_of "$pid")"
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  if [[ "${exe##*/}" != nats-server* && "$comm" != nats-server* ]]; then
    die "port $NATS_PORT is held by another program ($(describe "$pid")); stop it or set NATS_PORT"
  fi
  if [[ "$exe" != /usr/sbin/nats-server && "$exe" != /usr/bin/nats-server ]]; then
    die "port $NATS_PORT is held by a nats-server infra.sh did not start ($(describe "$pid")); Marquee's runs" \
      "with TLS and per-service users: stop that one or set NATS_PORT/NATS_MONITOR_PORT"
  fi
  log "stopping the system's nats-server on port $NATS_PORT ($(describe "$pid")): Marquee runs its own, with TLS and users"
  if command -v start-stop-daemon >/dev/null 2>&1; then
    start-stop-daemon --stop --quiet --oknodo --retry TERM/10/KILL/5 --exec "$exe" ||
      die "could not stop $exe (pid $pid)"
  else
    stop_pid "$pid" "nats-server"
  fi
  wait_port_free "$NATS_PORT" "nats-server (pid $pid)"
}

# Issues the certificates (kept while valid) and writes NATS's configuration; true when it changed.
write_nats_config() {
  [[ -f "$PLATFORM_BIN/nats-config.js" ]] || die "no ${PLATFORM_BIN#"$REPO_ROOT/"}/nats-config.js: build first (npm run build)"
  node "$PLATFORM_BIN/issue-certs.js" --dir "$TLS_ROOT" >/dev/null || die "could not issue the certificates (see above)"
  local next="$NATS_CONF.next"
  node "$PLATFORM_BIN/nats-config.js" --tls-dir "$TLS_ROOT/nats" --store "$DATA_DIR/nats" \
    --host "$HOST" --port "$NATS_PORT" --http-port "$NATS_MONITOR_PORT" >"$next" ||
    die "could not write the NATS configuration (see above)"
  if [[ -f "$NATS_CONF" ]] && cmp -s "$next" "$NATS_CONF"; then
    rm -f "$next"
    return 1
  fi
  mv -f "$next" "$NATS_CONF"
}

ensure_nats() {
  command -v curl >/dev/null 2>&1 || die "curl is required to check NATS health (apt-get install curl)"
  local pid state logfile="$LOG_DIR/nats.log" pinned running changed=0
  mkdir -p "$DATA_DIR"
  if write_nats_config; then changed=1; fi
  pid="$(our_pid nats-server "$NATS_PORT")"
  if [[ -n "$pid" ]] && { ((changed == 1)) || ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-c $NATS_CONF"; }; then
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
    local holder
    holder="$(listener_pid "$NATS_PORT")"
    if [[ -n "$holder" ]]; then
      free_nats_port "$holder"
    elif port_open "$NATS_PORT"; then
      die "port $NATS_PORT accepts connections but its process is not visible (another user's?); free it or set NATS_PORT"
    fi
    if port_open "$NATS_MONITOR_PORT"; then
      die "the NATS monitoring port $NATS_MONITOR_PORT is in use by $(describe "$(listener_pid "$NATS_MONITOR_PORT")"); free it or set NATS_MONITOR_PORT"
    fi
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
  running="$(nats_version_of "$pid")"
  pinned="$(tool_version nats-server)"
  if [[ -n "$pinned" && -n "$running" && "$running" != "$pinned" ]]; then
    log "warning: the running nats-server is $running but the pinned one is $pinned: run scripts/infra.sh restart"
  fi
  echo "nats      nats://$HOST:$NATS_PORT  (nats-server ${running:-?}, JetStream, TLS + a user per workload, monitor http://$HOST:$NATS_MONITOR_PORT; $state)"
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
  local tool port pid
  for tool in nats-server:"$NATS_PORT" ferretdb:"$MONGO_PORT"; do
    port="${tool#*:}"
    tool="${tool%%:*}"
    pid="$(our_pid "$tool" "$port")"
    if [[ -n "$pid" ]]; then
      # In parallel: each takes a second or two to shut down gracefully.
      (stop_pid "$pid" "$tool" && rm -f "$(pid_file "$tool")" && log "stopped $tool (pid $pid)") &
    else
      log "$tool: not running (none started by infra.sh)"
    fi
  done
  wait
}

cmd_status() {
  local pid
  if command -v pg_isready >/dev/null 2>&1 && pg_ready; then
    echo "postgres  postgres://$HOST:$PG_PORT  (accepting connections)"
  else
    echo "postgres  postgres://$HOST:$PG_PORT  (DOWN)"
  fi
  pid="$(our_pid nats-server "$NATS_PORT")"
  if nats_healthy; then
    echo "nats      nats://$HOST:$NATS_PORT  (healthy${pid:+, ours, pid $pid})"
  elif [[ -n "$(listener_pid "$NATS_PORT")" ]]; then
    echo "nats      nats://$HOST:$NATS_PORT  (NOT OURS/UNHEALTHY: $(describe "$(listener_pid "$NATS_PORT")"))"
  else
    echo "nats      nats://$HOST:$NATS_PORT  (DOWN)"
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
  -h | --help | help) sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" ;;
  *) die "unknown command '$1' (use up, stop, restart, status or --help)" ;;
esac
