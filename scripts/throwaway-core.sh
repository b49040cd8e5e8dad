# Sourced by api-check.sh and api-load.sh: a throwaway core — a temporary folder, a config on a
# free loopback port, and `serve` started from it (its pid kept, stopped on exit). Needs $bin.
work=$(mktemp -d)
pidfile="$work/serve.pid"
stop_core() {
    if [[ -s "$pidfile" ]]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap stop_core EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat >"$work/config.yaml" <<YAML
store: { path: store.sqlite }
server: { listen: "127.0.0.1:$port" }
sync:
  users: { dataset: people }
  groups: { dataset: org }
  safeguard: { maxUserDeletions: 100, maxGroupDeletions: 100 }
YAML
export ACCOUNT_SYNC_CONFIG="$work/config.yaml"

# Starts serve on $port and waits until /healthz answers.
start_core() {
    "$bin" serve --log-level "${1:-warning}" >"$work/serve.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0
        sleep 0.1
    done
    echo "throwaway-core: serve did not start:" >&2
    cat "$work/serve.log" >&2
    return 1
}
