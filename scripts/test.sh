#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test (Swift Testing, the API's
# schemathesis check against a live serve, then the Admin Center in a headless Chromium), and prints
# one closing line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test 2>&1 | tee "$log" || status=$?

# The HTTP API against its OpenAPI document, with schemathesis, on the binary just built.
api_status=0
bash scripts/api-check.sh "$(swift build --show-bin-path)/account-sync" || api_status=$?

# The Admin Center's pages in a real headless Chromium (screenshots in .build/artifacts/admin-center).
browser_status=0
bash scripts/browser-check.sh "$(swift build --show-bin-path)/account-sync" || browser_status=$?

summary=$(grep -E "Test run with [0-9]+ tests? .*(passed|failed)" "$log" | tail -1 || true)
total=$(sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p' <<<"$summary")
failed_tests=$( (grep -E "^✘ Test [^ ]+ .*failed after" "$log" || true) | sed -E 's/^✘ Test ([^ ]+).*/\1/' | sort -u | wc -l)
if [[ -z "$total" ]]; then
    echo "test.sh: swift test printed no summary (build failure?)" >&2
    exit "${status:-1}"
fi
total=$((total + 2))
for outcome in "$api_status" "$browser_status"; do
    if [[ $outcome -ne 0 ]]; then
        failed_tests=$((failed_tests + 1))
        status=1
    fi
done
echo "$((total - failed_tests)) passed, ${failed_tests} failed"
exit "$status"
