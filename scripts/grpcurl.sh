#!/usr/bin/env bash
# grpcurl as an operator: the services accept only clients holding a certificate from the local CA,
# so this runs .tools/bin/grpcurl with the operator's certificate that scripts/up.sh issued
# (.data/tls/operator) and passes every argument on:
#
#   scripts/grpcurl.sh 127.0.0.1:50051 list
#   scripts/grpcurl.sh -d '{"text": "jazz"}' 127.0.0.1:50052 marquee.catalog.v1.CatalogService/ListShows
#
# AS=<workload> uses that workload's certificate instead (e.g. AS=bff-partner, to see a refusal).
set -euo pipefail
PROG="grpcurl.sh"
# shellcheck source=scripts/lib.sh
source "$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"

dir="$TLS_ROOT/${AS:-operator}"
[[ -f "$dir/tls.crt" ]] || die "no certificate in ${dir#"$REPO_ROOT/"}: run scripts/up.sh first"
exec "$TOOLS_BIN/grpcurl" -cacert "$dir/ca.crt" -cert "$dir/tls.crt" -key "$dir/tls.key" "$@"
