#!/usr/bin/env bash
# Installs the pinned native tools Marquee needs for local runs, tests and benchmarks into
# the git-ignored folder <repo>/.tools/bin (built from source with `go install`).
#
#   scripts/tools.sh        install what is missing or outdated, one line per tool
#   scripts/tools.sh -q     same, but print only what gets installed (used by infra.sh)
#
# A tool is skipped when .tools/bin/<tool> exists and its stamp file .tools/bin/.<tool>.version
# holds the pinned spec, so a run where everything is installed takes milliseconds and needs
# no Go. Bump a pin below and the next run rebuilds that tool (the Go build cache is kept).
set -euo pipefail

# --- pins (check the proxy with: go list -m -versions <module>) ------------------------------
FERRETDB_VERSION="v1.24.2"    # github.com/FerretDB/FerretDB (last 1.x: SQLite handler, no DocumentDB)
GRPCURL_VERSION="v1.9.4"      # github.com/fullstorydev/grpcurl
GHZ_VERSION="v0.93.0"         # github.com/bojand/ghz
NATS_SERVER_VERSION="v2.15.2" # github.com/nats-io/nats-server/v2
NATSCLI_VERSION="v0.5.1"      # github.com/nats-io/natscli (optional: a failure is only a warning)

# Bump when the way a tool is built changes, to force a rebuild everywhere.
RECIPE="1"

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"
TOOLS_DIR="$REPO_ROOT/.tools"
TOOLS_BIN="$TOOLS_DIR/bin"

QUIET=0
case "${1:-}" in
  "") ;;
  -q | --quiet) QUIET=1 ;;
  -h | --help)
    sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit 0
    ;;
  *)
    echo "tools.sh: unknown argument '$1' (use -q or --help)" >&2
    exit 2
    ;;
esac

say() { if [[ "$QUIET" == 0 ]]; then echo "tools: $*"; fi; }
note() { echo "tools: $*" >&2; }
die() {
  echo "tools.sh: error: $*" >&2
  exit 1
}

# name|spec — the spec is what the stamp file records.
TOOLS=(
  "ferretdb|github.com/FerretDB/FerretDB/cmd/ferretdb@$FERRETDB_VERSION"
  "grpcurl|github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
  "ghz|github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION"
  "nats-server|github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION"
  "nats|github.com/nats-io/natscli/nats@$NATSCLI_VERSION"
)
OPTIONAL_TOOLS=" nats "

# FerretDB is built with this patch (why: see its header); its hash is part of the stamp.
FERRETDB_PATCH="$SCRIPT_DIR/ferretdb-sqlite-id-index.patch"

stamp_file() { echo "$TOOLS_BIN/.$1.version"; }
stamp_of() { # name spec
  local patched=""
  if [[ "$1" == ferretdb ]]; then patched=" patch=$(sha256sum "$FERRETDB_PATCH" | cut -c1-16)"; fi
  echo "$2 recipe=$RECIPE$patched"
}

up_to_date() { # name spec
  local stamp
  stamp="$(stamp_file "$1")"
  [[ -x "$TOOLS_BIN/$1" && -f "$stamp" && "$(<"$stamp")" == "$(stamp_of "$1" "$2")" ]]
}

# --- fast path: everything stamped, nothing to do, Go not needed ----------------------------
todo=()
for entry in "${TOOLS[@]}"; do
  name="${entry%%|*}"
  spec="${entry#*|}"
  if up_to_date "$name" "$spec"; then
    say "ok        $name ${spec##*@}"
  elif [[ "$OPTIONAL_TOOLS" == *" $name "* && -f "$(stamp_file "$name")" &&
    "$(<"$(stamp_file "$name")")" == "$(stamp_of "$name" "$spec") failed" ]]; then
    say "skipped   $name ${spec##*@} (optional; its build failed before: rm $(stamp_file "$name") to retry)"
  else
    todo+=("$entry")
  fi
done
if [[ ${#todo[@]} -eq 0 ]]; then
  exit 0
fi

# --- slow path: build with Go ---------------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  if [[ -x /usr/local/go/bin/go ]]; then
    PATH="/usr/local/go/bin:$PATH"
  else
    missing=("${todo[@]%%|*}")
    die "'go' was not found on PATH (nor at /usr/local/go/bin/go). Go 1.24 or newer is needed to" \
      "build ${missing[*]}. Install it from https://go.dev/dl/ and re-run scripts/tools.sh."
  fi
fi

mkdir -p "$TOOLS_BIN"

# Serialize concurrent runs (e.g. parallel test jobs) so they do not build the same tool twice.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$TOOLS_DIR/.lock"
  flock 9
fi

# Make sure the build never picks up a go.mod/go.work from the directories above.
cd "$TOOLS_DIR"
export GOWORK=off GOBIN="$TOOLS_BIN"

# FerretDB's module zip lacks the generated build/version/version.txt, so a plain
# `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` builds a binary that panics at
# start ("Invalid build/version/version.txt file content"). Build it from a writable copy of the
# module with that file written, which is what FerretDB's own `task gen-version` does, and
# FERRETDB_PATCH applied. The copy is made afresh for every build, so the patch applies once.
install_ferretdb() { # spec
  local version="${1##*@}" module_dir src
  src="$TOOLS_DIR/src/FerretDB@$version"
  module_dir="$(go mod download -json "github.com/FerretDB/FerretDB@$version" |
    sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$module_dir" && -d "$module_dir" ]] ||
    die "could not download github.com/FerretDB/FerretDB@$version (see the go output above)"
  rm -rf "$src.tmp"
  mkdir -p "$TOOLS_DIR/src"
  cp -R "$module_dir" "$src.tmp"
  chmod -R u+w "$src.tmp"
  printf '%s\n' "$version" >"$src.tmp/build/version/version.txt"
  printf 'source\n' >"$src.tmp/build/version/package.txt"
  patch --quiet --forward -p1 -d "$src.tmp" <"$FERRETDB_PATCH" || die "could not apply $FERRETDB_PATCH"
  rm -rf "$src"
  mv "$src.tmp" "$src"
  (cd "$src" && go install -buildvcs=false ./cmd/ferretdb)
}

install_tool() { # name spec
  local name="$1" spec="$2" version="${2##*@}"
  case "$name" in
    ferretdb) install_ferretdb "$spec" ;;
    # These read their version from a variable set at link time by their release builds.
    grpcurl | ghz | nats) go install -ldflags="-X main.version=$version" "$spec" ;;
    *) go install "$spec" ;;
  esac
}

# Prints the version the installed binary reports.
reported_version() { # name
  local bin="$TOOLS_BIN/$1"
  case "$1" in
    grpcurl) "$bin" -version 2>&1 ;;
    *) "$bin" --version 2>&1 ;;
  esac
}

failed=()
declare -A spec_of=()
for entry in "${todo[@]}"; do
  name="${entry%%|*}"
  spec="${entry#*|}"
  version="${spec##*@}"
  spec_of[$name]="$spec"
  # Another run may have finished it while we waited for the lock.
  if up_to_date "$name" "$spec"; then
    say "ok        $name $version"
    continue
  fi
  note "installing $name $version ($spec) ..."
  rm -f "$(stamp_file "$name")"
  start=$SECONDS
  if ! install_tool "$name" "$spec"; then
    failed+=("$name")
    continue
  fi
  if ! out="$(reported_version "$name")" || [[ "$out" != *"${version#v}"* ]]; then
    note "$name: the installed binary does not report $version: ${out:0:400}"
    failed+=("$name")
    continue
  fi
  stamp_of "$name" "$spec" >"$(stamp_file "$name")"
  note "installed $name $version in $((SECONDS - start))s"
done

fatal=()
for name in "${failed[@]}"; do
  if [[ "$OPTIONAL_TOOLS" == *" $name "* ]]; then
    echo "$(stamp_of "$name" "${spec_of[$name]}") failed" >"$(stamp_file "$name")"
    note "warning: optional tool '$name' could not be installed; continuing without it"
  else
    fatal+=("$name")
  fi
done
if [[ ${#fatal[@]} -gt 0 ]]; then
  die "could not install: ${fatal[*]} (see the output above; $(go version))"
fi

# Debian's Chromium for bff-web's browser test (playwright-core drives it; no browser download).
ensure_chromium() {
  [[ -x /usr/bin/chromium ]] && return 0
  command -v apt-get >/dev/null 2>&1 || die "Chromium is missing and apt-get is not available to install it"
  note "installing Debian's chromium (for the browser test) ..."
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null ||
    die "could not install chromium (apt-get install chromium)"
}
ensure_chromium
