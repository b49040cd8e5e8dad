#!/usr/bin/env bash
# Load figures for the API (a benchmark, not a test): a store of N users (default 100,000) and R runs
# (default 1,000), a release `account-sync serve` on loopback, and wrk from Debian against
# GET /api/v1/runs and GET /api/v1/users?query=…; prints requests per second and latency percentiles.
#   scripts/api-load.sh [USERS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-100000}
runs=${2:-1000}
command -v wrk >/dev/null || { echo "api-load: needs wrk (apt-get install wrk)" >&2; exit 1; }
swift build -c release --product account-sync >/dev/null
bin="$(swift build -c release --show-bin-path)/account-sync"

source scripts/throwaway-core.sh
source scripts/load-store.sh
token=$("$bin" tokens create load --scope read 2>/dev/null | tail -1)
start_core error

echo "store: $users users, $(sqlite3 "$work/store.sqlite" 'SELECT COUNT(*) FROM runs') runs; wrk -t2 -c16 -d15s --latency"
for path in "/api/v1/runs" "/api/v1/runs?status=success&page=10&perPage=20" "/api/v1/users?query=user4242" "/api/v1/users?query=Number%209&page=3"; do
    echo "== GET $path"
    wrk -t2 -c16 -d15s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path" | grep -E "Requests/sec|Latency  |  50%|  99%|Non-2xx"
done
