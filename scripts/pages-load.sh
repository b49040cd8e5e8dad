#!/usr/bin/env bash
# Render times of the Admin Center's pages (a benchmark, not a test): a store of N users (default
# 100,000) and R runs (default 1,000), a release `account-sync serve` on loopback, an admin signed
# in with curl; each page is fetched 30 times in a row (median and worst time, from curl), then
# wrk gives the throughput of the heaviest ones.
#   scripts/pages-load.sh [USERS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-100000}
runs=${2:-1000}
command -v wrk >/dev/null || { echo "pages-load: needs wrk (apt-get install wrk)" >&2; exit 1; }
swift build -c release --product account-sync >/dev/null
bin="$(swift build -c release --show-bin-path)/account-sync"

source scripts/throwaway-core.sh
source scripts/load-store.sh
printf 'pages-load password\n' >"$work/admin.pw"
"$bin" admins add alice --password-file "$work/admin.pw" >/dev/null 2>&1
start_core error

base="http://127.0.0.1:$port"
jar="$work/cookies"
form_token=$(curl -s -c "$jar" "$base/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$form_token" --data-urlencode name=alice \
    --data-urlencode "password=pages-load password" "$base/login"
session=$(awk '$6 == "account_sync_session" { print $7 }' "$jar")
[[ -n "$session" ]] || { echo "pages-load: could not sign in" >&2; exit 1; }

echo "store: $users users, $(sqlite3 "$work/store.sqlite" 'SELECT COUNT(*) FROM runs') runs, $(sqlite3 "$work/store.sqlite" 'SELECT COUNT(*) FROM run_items') run items"
printf '%-52s %8s %8s %6s\n' "page" "median" "worst" "status"
for path in /sync /sync/edit /sync/history /history "/history?status=success&page=20" /runs/1 /runs/1/items/created-users "/runs/1/items/created-users?page=900" \
    /runs/500 /users "/users?query=user4242" "/users?query=Number%209&page=3" "/users?tab=disabled" /users/user4242 /groups /groups/g42 \
    /datasets /datasets/people "/datasets/people?page=1500" /access; do
    times=()
    status=""
    for _ in $(seq 1 30); do
        read -r code seconds < <(curl -s -o /dev/null -b "account_sync_session=$session" -w '%{http_code} %{time_total}\n' "$base$path")
        status=$code
        times+=("$seconds")
    done
    sorted=$(printf '%s\n' "${times[@]}" | sort -n)
    median=$(sed -n 15p <<<"$sorted")
    worst=$(tail -1 <<<"$sorted")
    printf '%-52s %6.1fms %6.1fms %6s\n' "$path" "$(bc -l <<<"$median * 1000")" "$(bc -l <<<"$worst * 1000")" "$status"
done
for path in /history /users "/users?query=user4242" /runs/1; do
    echo "== wrk -t2 -c8 -d10s GET $path"
    wrk -t2 -c8 -d10s --latency -H "Cookie: account_sync_session=$session" "$base$path" | grep -E "Requests/sec|  50%|  99%|Non-2xx"
done
