#!/usr/bin/env bash
# Installs the Debian packages account-sync needs to build and run its demo, when missing;
# `install-deps.sh test` adds what the tests need (Samba's AD DC for the Active Directory tests,
# Chromium and Selenium for the Admin Center's browser tests).
# Needs root (or sudo). Safe to run again: it installs only what is not there.
set -euo pipefail

packages=(libsqlite3-dev libldap2-dev slapd ldap-utils openssl)
if [[ "${1:-}" == "test" ]]; then
    packages+=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules iproute2 systemd curl)
    # The Admin Center's browser tests: headless Chromium, its WebDriver, Selenium and a strict HTML parser.
    packages+=(chromium chromium-driver python3-selenium python3-html5lib)
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: all of ${packages[*]} are installed"
    exit 0
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Install without starting the packages' own daemons: a system slapd or samba on port 389 would
# collide with the servers the tests and the demo start. The policy file is ours only meanwhile.
policy=/usr/sbin/policy-rc.d
if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod 755 "$policy"
    trap '"${as_root[@]}" rm -f "$policy"' EXIT
fi
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
