// The sync benchmark: USERS users in GROUPS groups into an empty SQLite store, then the same again
// (no change), then with 1% of the users changed; prints the wall time of each run and the peak
// resident memory (VmHWM).
import AccountSyncApp
import AccountSyncConfig
import Foundation
import Logging
import SyncCore
import SyncStore

func runSyncBenchmark(userCount: Int, groupCount: Int) throws {

func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return .nan }
    return kib / 1024
}

func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let value = try body()
    return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

func format(_ seconds: Double) -> String { String(format: "%.2f s", seconds) }

// A tree: 40 top-level groups under one root, the rest spread below them.
func makeGroups() -> [GroupRow] {
var groups = [GroupRow(groupId: "root", name: "Company")]
for index in 1..<groupCount {
    let parent = index <= 40 ? "root" : "g\((index % 40) + 1)"
    groups.append(GroupRow(groupId: "g\(index)", name: "Department \(index)", parentGroupId: parent, externalId: "ou-\(index)"))
}
return groups
}

func makeUsers() -> [UserRow] {
var users: [UserRow] = []
users.reserveCapacity(userCount)
for index in 0..<userCount {
    let type = index % 50 == 0 ? "Administrator" : (index % 5 == 0 ? "Read-Only User" : "Regular User")
    users.append(UserRow(
        account: "user\(index)", name: "User Number \(index)", email: "user\(index)@bench.example",
        mobile: "+86 138\(String(format: "%08d", index))", accountType: type,
        groupIds: ["g\(1 + index % (groupCount - 1))"] + (index % 3 == 0 ? ["g\(1 + (index * 7) % (groupCount - 1))"] : []),
        disabled: index % 97 == 0, externalId: "guid-\(index)"))
}
return users
}

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("account-sync-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
var policy = SyncPolicy()
policy.safeguard = DeletionSafeguard(maxUserDeletions: 1_000, maxGroupDeletions: 100, deletedUsers: .disable)
let config = Configuration(
    file: folder.appendingPathComponent("config.yaml").path, storePath: folder.appendingPathComponent("store.sqlite").path,
    usersDataset: "people", groupsDataset: "org", policy: policy)
let app = AccountSync(config: config, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
let store = try AccountStore(path: config.storePath)

print("account-sync benchmark: \(userCount) users in \(groupCount) groups, store \(config.storePath)")
let (_, importTime) = try timed {
    try store.replaceDataset(name: "org", groups: makeGroups(), source: "bench")
    try store.replaceDataset(name: "people", users: makeUsers(), source: "bench")
}
print("store datasets        \(format(importTime))")

func report(_ label: String, _ record: RunRecord, _ seconds: Double) {
    let c = record.counts
    print("\(label.padding(toLength: 22, withPad: " ", startingAt: 0))\(format(seconds))  status=\(record.status.rawValue) created=\(c.usersCreated) updated=\(c.usersUpdated) groupsCreated=\(c.groupsCreated) failed=\(c.failures)  peakRSS=\(String(format: "%.0f", peakRSSMiB())) MiB")
}

let (initial, initialTime) = try timed { try app.run() }
report("initial run", initial, initialTime)
let (again, againTime) = try timed { try app.run() }
report("no-change run", again, againTime)

do {
    var users = try store.userRows(dataset: "people")
    for index in stride(from: 0, to: userCount, by: 100) { users[index].name += " (renamed)" }
    try store.replaceDataset(name: "people", users: users, source: "bench")
}
let (changed, changedTime) = try timed { try app.run() }
report("1% changed run", changed, changedTime)
let size = (try? FileManager.default.attributesOfItem(atPath: config.storePath)[.size] as? Int) ?? 0
print("peak RSS \(String(format: "%.0f", peakRSSMiB())) MiB; store file \(size / 1_048_576) MiB (plus WAL)")

// Where a no-change run spends its time, phase by phase.
let (rows, loadRowsTime) = try timed { try store.userRows(dataset: "people") }
let (groupRows, loadGroupsTime) = try timed { try store.groupRows(dataset: "org") }
let (state, stateTime) = try timed { try store.state() }
let (plan, planTime) = timed { SyncPlanner(policy: policy).plan(users: rows, groups: groupRows, state: state) }
let (_, historyTime) = try timed { try store.run(id: initial.id) }
print("phases: read user dataset \(format(loadRowsTime)), group dataset \(format(loadGroupsTime)), read state \(format(stateTime)), plan \(format(planTime)) (\(plan.userChanges.count) changes), read run #\(initial.id) with \(initial.items.count) items \(format(historyTime))")
let (initialPlan, initialPlanTime) = timed { SyncPlanner(policy: policy).plan(users: rows, groups: groupRows, state: AccountState()) }
print("plan into an empty store: \(format(initialPlanTime)) (\(initialPlan.userChanges.count) user changes, \(initialPlan.items.count) items)")

}
