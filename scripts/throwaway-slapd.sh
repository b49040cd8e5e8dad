# Sourced by the demo and the leak check: a throwaway OpenLDAP server in a folder of its own,
# listening on a local socket only, stopped (by the pid it wrote) when the calling script exits.
#
#   throwaway_slapd FOLDER SUFFIX ADMIN_PASSWORD LDIF_FILE
# sets SLAPD_URI (ldapi://…) and SLAPD_ADMIN (cn=admin,SUFFIX); the admin password is written to
# FOLDER/bind.pw (mode 600) for configs to name with passwordFile.
throwaway_slapd() {
    local folder=$1 suffix=$2 password=$3 ldif=$4
    mkdir -p "$folder/db"
    local socket="$folder/ldapi"
    SLAPD_URI="ldapi://$(sed 's|/|%2F|g' <<<"$socket")"
    SLAPD_ADMIN="cn=admin,$suffix"
    (umask 077 && printf '%s' "$password" >"$folder/bind.pw")
    cat >"$folder/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $folder/slapd.pid
database mdb
maxsize 268435456
suffix "$suffix"
rootdn "$SLAPD_ADMIN"
rootpw $password
directory $folder/db
index objectClass eq
CONF
    /usr/sbin/slapadd -q -f "$folder/slapd.conf" -l "$ldif"
    /usr/sbin/slapd -f "$folder/slapd.conf" -h "$SLAPD_URI"
    THROWAWAY_SLAPD_PIDFILE="$folder/slapd.pid"
    trap 'stop_throwaway_slapd' EXIT
    for _ in $(seq 100); do [[ -S "$socket" ]] && return 0; sleep 0.1; done
    echo "throwaway slapd did not start; see $folder" >&2
    return 1
}

stop_throwaway_slapd() {
    if [[ -n "${THROWAWAY_SLAPD_PIDFILE:-}" && -f "$THROWAWAY_SLAPD_PIDFILE" ]]; then
        kill "$(cat "$THROWAWAY_SLAPD_PIDFILE")" 2>/dev/null || true
    fi
    if [[ -n "${THROWAWAY_CLEANUP:-}" ]]; then rm -rf "$THROWAWAY_CLEANUP"; fi
}
