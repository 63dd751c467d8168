# shellcheck shell=bash
# Sourced by scripts/up.sh, scripts/down.sh and scripts/test.sh (not run by itself): getting a
# checkout ready (npm dependencies, tools, build) and handling the service processes up.sh starts.
# The caller sets PROG (the prefix of its messages) and `set -euo pipefail`.

# shellcheck disable=SC2034 # the variables below are for the scripts that source this file
LIB_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$LIB_DIR/.." && pwd -P)"
TOOLS_BIN="$REPO_ROOT/.tools/bin"
DATA_DIR="$REPO_ROOT/.data"
RUN_DIR="$DATA_DIR/run"
LOG_DIR="$DATA_DIR/logs"
TLS_ROOT="$DATA_DIR/tls" # the local CA (ca/) and each workload's TLS_DIR (<workload>/), scripts/up.sh issues them
NODE_MIN_VERSION="20.19.0" # package.json engines (mongoose 9)

say() { echo "$PROG: $*" >&2; }
die() {
  echo "$PROG: error: $*" >&2
  exit 1
}

# --- getting a checkout ready ---------------------------------------------------------------

ensure_node() {
  command -v node >/dev/null 2>&1 || die "node not found: install Node.js $NODE_MIN_VERSION or newer (20.x LTS)"
  command -v npm >/dev/null 2>&1 || die "npm not found (it comes with Node.js)"
  node -e '
    const [want, have] = [process.argv[1], process.versions.node].map((v) => v.split(".").map(Number));
    const older = want[0] - have[0] || want[1] - have[1] || want[2] - have[2];
    process.exit(older > 0 ? 1 : 0);' "$NODE_MIN_VERSION" ||
    die "Node.js $NODE_MIN_VERSION or newer is needed, this is $(node --version)"
}

# `npm ci` only when node_modules is missing or package-lock.json changed since the last one: the
# stamp holds the lock file's hash and lives inside node_modules, so it goes when node_modules goes.
ensure_node_deps() {
  local stamp="$REPO_ROOT/node_modules/.marquee-npm-ci.sha256" want reason
  want="$(sha256sum "$REPO_ROOT/package-lock.json" | cut -d ' ' -f 1)"
  if [[ -f "$stamp" && "$(<"$stamp")" == "$want" ]]; then
    return 0
  fi
  if [[ ! -d "$REPO_ROOT/node_modules" ]]; then
    reason="node_modules is missing"
  elif [[ -f "$stamp" ]]; then
    reason="package-lock.json changed since the last npm ci"
  else
    reason="node_modules was not installed by this script"
  fi
  say "installing npm dependencies: npm ci ($reason) ..."
  (cd "$REPO_ROOT" && npm ci --no-audit --no-fund) || die "npm ci failed (see above)"
  echo "$want" >"$stamp"
}

ensure_tools() {
  "$REPO_ROOT/scripts/tools.sh" -q || die "scripts/tools.sh could not install the tools (see above)"
}

build() {
  say "building (npm run build: buf generate + tsc -b) ..."
  (cd "$REPO_ROOT" && npm run --silent build) || die "the build failed (see above)"
}

# The local CA and the named workloads' certificates (default: every known one), kept while still good.
issue_certs() { # [workload ...]
  node "$REPO_ROOT/packages/platform/dist/src/bin/issue-certs.js" --dir "$TLS_ROOT" "$@" >/dev/null ||
    die "could not issue the certificates into ${TLS_ROOT#"$REPO_ROOT/"} (see above)"
}

# --- service processes ----------------------------------------------------------------------

port_open() { (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# A process's compiled entry point: services/<name>/..., or <name>/... for the BFFs (bff-*).
service_main() {
  case "$1" in
    bff-*) echo "$REPO_ROOT/$1/dist/src/main.js" ;;
    *) echo "$REPO_ROOT/services/$1/dist/src/main.js" ;;
  esac
}

# An instance is a process's name (its first replica) or <name>-<k> (replica k, scripts/up.sh REPLICAS).
service_pid_file() { echo "$RUN_DIR/service-$1.pid"; }

# The process an instance runs: orders for orders-2, bff-web for bff-web (no process name ends in -<digits>).
process_of() { # instance
  if [[ "$1" =~ ^(.+)-[0-9]+$ ]]; then echo "${BASH_REMATCH[1]}"; else echo "$1"; fi
}

# True when pid runs services/<name>/dist/src/main.js of this checkout (not a recycled pid).
is_service_process() { # pid name
  alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF " $(service_main "$2")"
}

# Who listens on a TCP port, for messages.
port_holder() { # port
  local line
  line="$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*' | head -n 1 || true)"
  echo "${line#users:((}"
}

# Sends SIGTERM to every "instance:pid", waits up to 10 s for all of them, then SIGKILLs the rest.
stop_service_processes() { # name:pid...
  local entry name pid i left
  for entry in "$@"; do
    kill -TERM "${entry#*:}" 2>/dev/null || true
  done
  for ((i = 0; i < 100; i++)); do
    left=0
    for entry in "$@"; do
      if alive "${entry#*:}"; then left=1; fi
    done
    ((left == 1)) || break
    sleep 0.1
  done
  for entry in "$@"; do
    name="${entry%%:*}"
    pid="${entry#*:}"
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      say "$name (pid $pid) did not stop within 10 s of SIGTERM: killed"
    else
      say "stopped $name (pid $pid)"
    fi
    rm -f "$(service_pid_file "$name")"
  done
}

# Stops every service instance whose pid file (written by up.sh) names a live process of this checkout.
stop_recorded_services() {
  local file name pid entries=()
  shopt -s nullglob
  for file in "$RUN_DIR"/service-*.pid; do
    name="${file##*/service-}"
    name="${name%.pid}"
    pid="$(<"$file")"
    if is_service_process "$pid" "$(process_of "$name")"; then
      entries+=("$name:$pid")
    else
      rm -f "$file" # stale: that process is gone
    fi
  done
  shopt -u nullglob
  if ((${#entries[@]} > 0)); then
    stop_service_processes "${entries[@]}"
  fi
  echo "${#entries[@]}"
}
