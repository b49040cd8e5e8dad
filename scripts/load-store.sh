# Sourced by api-load.sh and pages-load.sh (after throwaway-core.sh): fills the throwaway core's
# store with $users users in 1,000 groups (one run that creates them all) and $runs - 1 more runs
# in the history (rows added directly, for speed). Needs $bin, $work, $users, $runs.
python3 - "$work" "$users" <<'PY'
import sys
work, users = sys.argv[1], int(sys.argv[2])
with open(f"{work}/org.csv", "w") as f:
    f.write("groupId,name,parentGroupId\nroot,Root,\n")
    for g in range(1000): f.write(f"g{g},Group {g},root\n")
with open(f"{work}/people.csv", "w") as f:
    f.write("account,name,email,groupIds\n")
    for u in range(users): f.write(f"user{u},User Number {u},user{u}@example.com,g{u % 1000}\n")
PY
"$bin" datasets import --kind groups org "$work/org.csv" >/dev/null
"$bin" datasets import --kind users people "$work/people.csv" >/dev/null
"$bin" run --log-level error >/dev/null || true
sqlite3 "$work/store.sqlite" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $runs - 1)
  INSERT INTO runs (status, trigger, startedAt, finishedAt, counts, pid) SELECT 'success', 'scheduled', datetime('now', '-' || i || ' hours'), datetime('now', '-' || i || ' hours'), (SELECT counts FROM runs WHERE id = 1), 1 FROM n;"
