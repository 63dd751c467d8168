#!/bin/sh
# workspace-of SERVICE: the npm workspace folder of a Marquee process, relative to the repository
# root: services/<name> for a gRPC service, the folder itself for a BFF (bff-*). Fails with one
# clear line when SERVICE is empty or names no workspace.
set -eu
service="${1:-}"
if [ -z "$service" ]; then
  echo "SERVICE is not set: docker build --build-arg SERVICE=<accounts|catalog|...|bff-web|...>" >&2
  exit 1
fi
case "$service" in
  bff-*) dir="$service" ;;
  *) dir="services/$service" ;;
esac
if [ ! -f "$dir/package.json" ]; then
  echo "SERVICE=$service: no workspace $dir (no $dir/package.json)" >&2
  exit 1
fi
echo "$dir"
