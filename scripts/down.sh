#!/usr/bin/env bash
# Stops the services that scripts/up.sh started (found by their pid files in .data/run/):
# SIGTERM, up to 10 s to drain, then SIGKILL. The infrastructure (PostgreSQL, NATS, FerretDB)
# keeps running; scripts/infra.sh stop stops NATS and FerretDB.
set -euo pipefail
PROG="down"
# shellcheck source=scripts/lib.sh
source "$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"

case "${1:-}" in
  "") ;;
  -h | --help)
    sed -n '2,4s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit 0
    ;;
  *) die "unknown argument '$1'" ;;
esac

stopped="$(stop_recorded_services)"
if ((stopped == 0)); then
  say "no service started by scripts/up.sh is running"
fi
say "the infrastructure keeps running: scripts/infra.sh stop stops it"
