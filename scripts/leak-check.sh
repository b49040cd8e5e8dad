#!/usr/bin/env bash
# Leak check (not a test: it takes minutes): pulls N people (default 10,000) from a throwaway slapd
# with an AddressSanitizer build of `account-sync pull` (LeakSanitizer on), and fails on any leak.
# (valgrind 3.19 cannot read the debug info of Swift 6.3 binaries, so LeakSanitizer it is.)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}
scripts/install-deps.sh >/dev/null
swift build --sanitize=address --scratch-path .build-asan --product account-sync >/dev/null
bin=$(swift build --sanitize=address --scratch-path .build-asan --show-bin-path)/account-sync

source scripts/throwaway-slapd.sh
work=$(mktemp -d -t account-sync-leaks.XXXXXX)
THROWAWAY_CLEANUP=$work
{
    printf 'dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n'
    printf 'dn: ou=People,dc=example,dc=com\nobjectClass: organizationalUnit\nou: People\n\n'
    for t in $(seq 0 9); do printf 'dn: ou=Team %d,ou=People,dc=example,dc=com\nobjectClass: organizationalUnit\nou: Team %d\n\n' "$t" "$t"; done
    for n in $(seq 0 $((count - 1))); do
        printf 'dn: uid=u%d,ou=Team %d,ou=People,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: u%d\ncn: User %d\nsn: U\nmail: u%d@example.com\n\n' "$n" $((n % 10)) "$n" "$n" "$n"
    done
} >"$work/data.ldif"
throwaway_slapd "$work/slapd" "dc=example,dc=com" leak-check-secret "$work/data.ldif"
cat >"$work/config.yaml" <<YAML
store: { path: store.sqlite }
source:
  kind: ldap
  uri: "$SLAPD_URI"
  bind: { dn: "$SLAPD_ADMIN", passwordFile: $work/slapd/bind.pw }
  pageSize: 500
  users: { base: "ou=People,dc=example,dc=com" }
sync:
  users: { dataset: people }
  groups: { dataset: org }
YAML
status=0
ASAN_OPTIONS=detect_leaks=1:exitcode=99:log_path="$work/asan" \
    "$bin" pull --config "$work/config.yaml" --output "$work/out" || status=$?
if ((status == 99)) || compgen -G "$work/asan*" >/dev/null; then
    echo "leak-check: LeakSanitizer / AddressSanitizer reported:"
    cat "$work"/asan* | head -150
    status=${status/#0/99}
else
    echo "leak-check: no leaks and no memory errors reported"
fi
echo "leak-check: account-sync pull of $count people exited $status ($(wc -l <"$work/out/users.jsonl" 2>/dev/null || echo 0) users written)"
exit "$status"
