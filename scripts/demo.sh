#!/usr/bin/env bash
# The demo of the main job: installs what is missing, builds account-sync, starts a throwaway
# OpenLDAP server (its own folder, a local socket, stopped when the demo ends) holding a sample
# organisation — nested OUs, 300 people, some disabled, a group of administrators — then runs
# `test-bind`, a sync into a fresh SQLite store, a "next day" sync after changes in the directory,
# and prints the Update History.
#   scripts/demo.sh --serve   then keeps the Admin Center open on http://127.0.0.1:8080 (or
#                             $DEMO_PORT) with a one-time admin password, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
serve=false
case "${1:-}" in
    --serve) serve=true ;;
    "") ;;
    *) echo "usage: scripts/demo.sh [--serve]" >&2; exit 64 ;;
esac
port=${DEMO_PORT:-8080}

scripts/install-deps.sh
swift build --product account-sync
bin=$(swift build --show-bin-path)/account-sync

source scripts/throwaway-slapd.sh
work=$(mktemp -d -t account-sync-demo.XXXXXX)
suffix="dc=acme,dc=example"

# The sample organisation.
{
    printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: acme\no: Acme\n\n' "$suffix"
    units=("ou=Engineering" "ou=Platform,ou=Engineering" "ou=Apps,ou=Engineering" "ou=Sales" "ou=Sales\\2C EMEA,ou=Sales" "ou=APAC,ou=Sales" "ou=Finance" "ou=People & Culture")
    names=("Engineering" "Platform" "Apps" "Sales" "Sales, EMEA" "APAC" "Finance" "People & Culture")
    printf 'dn: ou=Acme,%s\nobjectClass: organizationalUnit\nou: Acme\n\n' "$suffix"
    for i in "${!units[@]}"; do
        printf 'dn: %s,ou=Acme,%s\nobjectClass: organizationalUnit\nou: %s\n\n' "${units[$i]}" "$suffix" "${names[$i]}"
    done
    first=(Alice Bob Chen Dana Emeka Fatima Gustav Hana Ivan Jun Kofi Lena Mateo Nadia Omar Priya Quinn Rosa Sven Tariq)
    last=(Smith Jones Li Okafor Mueller Haddad Tanaka Garcia Novak Kim Silva Berg Rossi Ivanova Dubois)
    for n in $(seq 0 299); do
        f=${first[$((n % 20))]}; l=${last[$((n % 15))]}
        unit=${units[$((n % 8))]}
        printf 'dn: uid=u%03d,%s,ou=Acme,%s\nobjectClass: inetOrgPerson\nuid: u%03d\ncn: %s %s\nsn: %s\nmail: u%03d@acme.example\nmobile: +44 7700 9%05d\n' \
            "$n" "$unit" "$suffix" "$n" "$f" "$l" "$l" "$n" "$n"
        if ((n % 37 == 5)); then printf 'employeeType: disabled\n'; fi
        printf '\n'
    done
    printf 'dn: cn=administrators,ou=Acme,%s\nobjectClass: groupOfNames\ncn: administrators\n' "$suffix"
    for n in 0 1 8; do printf 'member: uid=u%03d,%s,ou=Acme,%s\n' "$n" "${units[$((n % 8))]}" "$suffix"; done
    printf '\n'
} >"$work/sample.ldif"
throwaway_slapd "$work/slapd" "$suffix" demo-admin-secret "$work/sample.ldif"
uri=$SLAPD_URI
admin=$SLAPD_ADMIN

cat >"$work/config.yaml" <<YAML
store: { path: store.sqlite }
server: { listen: "127.0.0.1:$port" }
source:
  kind: ldap
  profile: openldap
  uri: "$uri"
  bind: { dn: "$admin", passwordFile: $work/slapd/bind.pw }
  users:
    base: "ou=Acme,$suffix"
    disabledFilter: "(employeeType=disabled)"
    accountType:
      rules: [ { memberOf: "cn=administrators,ou=Acme,$suffix", type: Administrator } ]
  groups: { from: both, base: "ou=Acme,$suffix" }
sync:
  users:  { dataset: directory-users }
  groups: { dataset: directory-groups }
  safeguard: { maxUserDeletions: 5, maxGroupDeletions: 2, deletedUsers: disable }
  license:   { maxUsers: 1000, maxEditableUsers: 500 }
YAML
export ACCOUNT_SYNC_CONFIG="$work/config.yaml"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || echo "(exit $?)"; }

step "$bin" config validate
step "$bin" test-bind
step "$bin" run
step "$bin" groups list

echo; echo "--- the next day in the directory: two people leave, one is disabled, an OU is renamed ---"
cat >"$work/day2.ldif" <<LDIF
dn: uid=u012,ou=Sales\\2C EMEA,ou=Sales,ou=Acme,$suffix
changetype: delete

dn: uid=u013,ou=APAC,ou=Sales,ou=Acme,$suffix
changetype: delete

dn: uid=u014,ou=Finance,ou=Acme,$suffix
changetype: modify
add: employeeType
employeeType: disabled

dn: ou=Apps,ou=Engineering,ou=Acme,$suffix
changetype: modrdn
newrdn: ou=Applications
deleteoldrdn: 1
LDIF
ldapmodify -x -H "$uri" -D "$admin" -y "$work/slapd/bind.pw" -f "$work/day2.ldif" >/dev/null
step "$bin" run
step "$bin" history
echo
if $serve; then
    # A password for this throwaway store only, shown once; the store keeps its bcrypt hash.
    (umask 077 && openssl rand -base64 18 >"$work/admin.pw")
    "$bin" admins add admin --password-file "$work/admin.pw" >/dev/null 2>&1
    echo "The Admin Center: http://127.0.0.1:$port  (name: admin, one-time password: $(cat "$work/admin.pw"))"
    echo "The demo's slapd keeps running, so Sync now pulls from it. Ctrl-C stops both."
    rm -f "$work/admin.pw"
    "$bin" serve || true
fi
echo "The store and config are in $work (ACCOUNT_SYNC_CONFIG=$work/config.yaml); the demo's slapd has been stopped."
