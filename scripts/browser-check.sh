#!/usr/bin/env bash
# The Admin Center in a real headless Chromium: a CA and a server certificate made here, a `serve`
# over TLS on a free loopback port (its pid kept, stopped on exit), an admin, then
# Tests/browser/admin_center.py drives Chromium (Debian's chromium + chromium-driver, through
# python3-selenium) through the pages, checks every page's HTML with a strict parser, and saves a
# screenshot of each page to .build/artifacts/admin-center/ (or $ARTIFACTS).
# Usage: scripts/browser-check.sh PATH-TO-account-sync
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:?usage: browser-check.sh PATH-TO-account-sync}")
artifacts=${ARTIFACTS:-$PWD/.build/artifacts/admin-center}
rm -rf "$artifacts" && mkdir -p "$artifacts"

work=$(mktemp -d)
pidfile="$work/serve.pid"
stop() {
    if [[ -s "$pidfile" ]]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap stop EXIT

# A CA of our own and a certificate for 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=account-sync browser-test CA" \
    -keyout "$work/ca.key" -out "$work/ca.pem" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 -extfile "$work/server.ext" -out "$work/server.pem" 2>/dev/null
chmod 600 "$work/server.key"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat >"$work/config.yaml" <<YAML
store: { path: store.sqlite }
server:
  listen: "127.0.0.1:$port"
  tls: { certFile: server.pem, keyFile: server.key }
YAML
export ACCOUNT_SYNC_CONFIG="$work/config.yaml"
password="browser-test-$(openssl rand -hex 8)"
printf '%s\n' "$password" >"$work/admin.pw"
"$bin" admins add alice --password-file "$work/admin.pw" >/dev/null 2>&1

"$bin" serve --log-level warning >"$work/serve.log" 2>&1 &
echo $! >"$pidfile"
for _ in $(seq 1 100); do
    curl -sf --cacert "$work/ca.pem" "https://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
done

status=0
BASE_URL="https://127.0.0.1:$port" CA_FILE="$work/ca.pem" SERVER_CERT="$work/server.pem" ADMIN_NAME=alice ADMIN_PASSWORD_FILE="$work/admin.pw" \
    ARTIFACTS="$artifacts" WORK="$work" /usr/bin/python3 Tests/browser/admin_center.py || status=$?
if [[ $status -ne 0 ]]; then
    echo "browser-check: serve's log:" >&2
    tail -n 40 "$work/serve.log" >&2
fi
exit $status
