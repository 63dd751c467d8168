#!/bin/sh
# prod-deps.sh SERVICE — run in a folder holding the repository's package.json files and
# package-lock.json only (the Dockerfile's manifests stage): installs the production dependencies
# of SERVICE's workspace and of the workspaces it depends on (@marquee/platform, @marquee/proto),
# exactly as locked, then removes the other workspaces' folders. npm ci --workspace links only
# the selected workspaces into node_modules/@marquee.
set -eu
here="$(dirname "$0")"
ws="$(sh "$here/workspace-of.sh" "${1:-}")"
npm ci --omit=dev --workspace "$ws" --include-workspace-root=false
for manifest in $(find . -name node_modules -prune -o -name package.json -print); do
  dir="$(dirname "$manifest")"
  case "${dir#./}" in
    . | proto | packages/platform | "$ws") ;;
    *) rm -rf "$dir" ;;
  esac
done
find . -type d -empty -not -path './node_modules/*' -delete
