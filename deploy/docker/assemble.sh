#!/bin/sh
# assemble.sh SERVICE OUT — run in the build stage (repository root, after npm run build): copies
# what SERVICE runs into OUT, laid out as in the repository, so the relative paths the code uses
# (migrations/, proto/gen/*.binpb) hold in the image:
#   proto/dist, proto/gen/*.binpb          @marquee/proto (reflection serves the descriptor sets)
#   packages/platform/dist, migrations     @marquee/platform (its outbox/inbox migrations)
#   <workspace>/dist/src, migrations       the process itself
#   <workspace>/public                     a BFF's page (bff-web, bff-ops), read at start-up
#   main.mjs                               the entry point: imports <workspace>/dist/src/main.js
#   health.json                            which variable holds the health port, and its default
# Tests, test helpers, declarations and source maps are left out.
set -eu
service="$1"
out="$2"
here="$(dirname "$0")"
ws="$(sh "$here/workspace-of.sh" "$service")"
if [ ! -f "$ws/dist/src/main.js" ]; then
  echo "SERVICE=$service: $ws/dist/src/main.js was not built (has $ws a src/main.ts?)" >&2
  exit 1
fi
mkdir -p "$out"
for path in proto/dist proto/gen/marquee.binpb proto/gen/health.binpb \
  packages/platform/dist/src packages/platform/migrations \
  "$ws/dist/src" "$ws/migrations" "$ws/public"; do
  if [ -e "$path" ]; then cp -a --parents "$path" "$out"; fi
done
rm -rf "$out/packages/platform/dist/src/testing"
find "$out" -type f \( -name '*.spec.js' -o -name '*.d.ts' -o -name '*.map' -o -name '*.tsbuildinfo' \) -delete
find "$out" -type d -empty -delete
printf 'import "./%s/dist/src/main.js";\n' "$ws" >"$out/main.mjs"
node "$here/health-port.mjs" "$ws" >"$out/health.json"
echo "assembled $service ($ws): $(cat "$out/health.json")"
