#!/usr/bin/env bash
# Installs account-sync as a systemd service, or removes it (keeping the config and the data).
#
#   sudo deploy/install.sh                    build the release binary, install, enable the daily timer
#   sudo deploy/install.sh uninstall          remove binary and units; keep /etc/account-sync and /var/lib/account-sync
#   DESTDIR=/tmp/stage deploy/install.sh      install into a staging root (no systemctl)
#   CONFIG=active-directory deploy/install.sh the example config to start from (openldap, active-directory, files)
#   ACCOUNT_SYNC_BIN=path deploy/install.sh   install this binary instead of building one
# Safe to run again: an existing /etc/account-sync/config.yaml is never overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:-install}
destdir=${DESTDIR:-}
prefix=${PREFIX:-/usr/local}
units="$destdir/etc/systemd/system"
live=false
[[ -z "$destdir" && -d /run/systemd/system ]] && live=true

case "$action" in
install)
    bin=${ACCOUNT_SYNC_BIN:-}
    if [[ -z "$bin" ]]; then
        swift build -c release --product account-sync
        bin="$(swift build -c release --show-bin-path)/account-sync"
    fi
    install -D -m 0755 "$bin" "$destdir$prefix/bin/account-sync"
    install -D -m 0755 deploy/alert-hook "$destdir$prefix/lib/account-sync/alert-hook"
    install -D -m 0644 README.md "$destdir$prefix/share/doc/account-sync/README.md"
    for unit in account-sync.service account-sync.timer account-sync-alert@.service account-sync-web.service; do
        sed "s|/usr/local/|$prefix/|g" "deploy/$unit" >"$destdir/tmp-unit.$$"
        install -D -m 0644 "$destdir/tmp-unit.$$" "$units/$unit"
        rm -f "$destdir/tmp-unit.$$"
    done
    config="$destdir/etc/account-sync/config.yaml"
    if [[ -e "$config" ]]; then
        echo "install: kept the existing $config"
    else
        install -D -m 0640 "config/${CONFIG:-openldap}.yaml" "$config"
        echo "install: wrote $config from config/${CONFIG:-openldap}.yaml; edit it, then: account-sync config validate && account-sync test-bind"
    fi
    # The timer's time comes from sync.dailyAt (once the config is valid).
    if "$destdir$prefix/bin/account-sync" schedule install --config "$config" --unit-directory "$units" 2>/dev/null; then :; else
        echo "install: the config is not valid yet; after editing it run: account-sync schedule install"
    fi
    if $live; then
        systemctl daemon-reload
        systemctl enable --now account-sync.timer
        echo "install: account-sync.timer enabled; next run: $(systemctl list-timers account-sync.timer --no-legend | awk '{print $1, $2}')"
    fi
    echo "install: for the Admin Center and API: account-sync admins add NAME, then systemctl enable --now account-sync-web"
    ;;
uninstall)
    if $live; then systemctl disable --now account-sync.timer 2>/dev/null || true; fi
    rm -f "$destdir$prefix/bin/account-sync" "$destdir$prefix/lib/account-sync/alert-hook"
    rm -rf "$destdir$prefix/share/doc/account-sync" "$units/account-sync.timer.d"
    if $live; then systemctl disable --now account-sync-web.service 2>/dev/null || true; fi
    rm -f "$units/account-sync.service" "$units/account-sync.timer" "$units/account-sync-alert@.service" "$units/account-sync-web.service"
    if $live; then systemctl daemon-reload; fi
    echo "uninstall: removed the binary and units; kept $destdir/etc/account-sync and $destdir/var/lib/account-sync"
    ;;
*)
    echo "usage: deploy/install.sh [install|uninstall]" >&2
    exit 64
    ;;
esac
