#!/bin/sh
# manifests.sh DEST — from the repository root: copies every package.json and package-lock.json
# to DEST, keeping their paths (node_modules, dist and the local tool/data folders left out).
# The Dockerfile's dependency layers are built from these alone, so they stay cached until a
# manifest or the lock file changes.
set -eu
dest="$1"
mkdir -p "$dest"
find . \( -name node_modules -o -name dist -o -name .git -o -name .tools -o -name .data \) -prune \
  -o \( -name package.json -o -name package-lock.json \) -print | xargs cp --parents -t "$dest"
