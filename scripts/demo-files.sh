#!/usr/bin/env bash
# The demo of the main job: installs what is missing, builds account-sync, and syncs the sample
# organisation in samples/ into a fresh SQLite store in a temporary folder — a first run, then a
# "next day" run with leavers, a rename and some bad rows — and prints the Update History.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build --product account-sync
bin=$(swift build --show-bin-path)/account-sync

work=$(mktemp -d -t account-sync-demo.XXXXXX)
cat >"$work/config.yaml" <<YAML
store: { path: store.sqlite }
sync:
  update: manual
  users:  { dataset: people }
  groups: { dataset: org }
  safeguard: { maxUserDeletions: 5, maxGroupDeletions: 2, deletedUsers: disable }
  license:   { maxUsers: 1000, maxEditableUsers: 500 }
YAML
export ACCOUNT_SYNC_CONFIG="$work/config.yaml"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || echo "(exit $?)"; }

step "$bin" config validate
step "$bin" datasets import --kind groups org samples/groups.csv
step "$bin" datasets import --kind users people samples/users.csv
step "$bin" run
step "$bin" groups list
echo; echo "--- the next day: two leavers, a rename, a re-enabled account, a new hire and three bad rows ---"
step "$bin" datasets import --kind users people samples/users-day2.csv
step "$bin" run --dry-run
step "$bin" run
step "$bin" history
step "$bin" users history cli
echo
echo "The store and config are in $work (ACCOUNT_SYNC_CONFIG=$work/config.yaml); remove it when done."
