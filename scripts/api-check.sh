#!/usr/bin/env bash
# Property-based checks of the HTTP API against its own OpenAPI document, with schemathesis (PyPI):
# a real `account-sync serve` on loopback with a small synced store and an admin token; every
# operation is called with generated inputs, and the run fails on any server error (5xx) or any
# response that contradicts the document. Prints "api-check: passed" or the failures. The seed is
# fixed (API_CHECK_SEED) so CI is reproducible; set another to explore further.
#   scripts/api-check.sh [BINARY]        (default: .build/debug/account-sync)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/debug/account-sync}
venv=${ACCOUNT_SYNC_VENV:-.build/schemathesis-venv}
if [[ ! -x "$venv/bin/schemathesis" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi

source scripts/throwaway-core.sh
printf 'groupId,name,parentGroupId\nacme,Acme,\neng,Engineering,acme\n' >"$work/org.csv"
printf 'account,name,email,groupIds\nalice,Alice,alice@example.com,eng\nbob,Bob,bob@example.com,acme\n' >"$work/people.csv"
"$bin" datasets import --kind groups org "$work/org.csv" >/dev/null
"$bin" datasets import --kind users people "$work/people.csv" >/dev/null
"$bin" run >/dev/null
token=$("$bin" tokens create schemathesis --scope admin 2>/dev/null | tail -1)

start_core warning

status=0
"$venv/bin/schemathesis" run "http://127.0.0.1:$port/api/v1/openapi.yaml" \
    --header "Authorization: Bearer $token" \
    --url "http://127.0.0.1:$port" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${API_CHECK_EXAMPLES:-30}" --seed "${API_CHECK_SEED:-20261203}" --no-color >"$work/schemathesis.log" 2>&1 || status=$?
if [[ $status -eq 0 ]]; then
    tail -5 "$work/schemathesis.log"
    echo "api-check: passed"
else
    cat "$work/schemathesis.log"
    echo "--- serve log ---"
    tail -50 "$work/serve.log"
    echo "api-check: FAILED"
fi
exit $status
