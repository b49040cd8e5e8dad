import Foundation
import GRDB
import SyncCore
import SyncStore
import Testing

/// A run writes its changes as the planner makes them (`PlanSink`), in parts, inside its one
/// transaction. What it leaves must be what applying the whole plan at once leaves, and a run the
/// safeguard stops after parts were written must leave nothing of them.
@Suite struct StreamedRunTests {
    static let context = RunContext(now: Date(timeIntervalSince1970: 1_800_000_000), approval: .count(1_000))

    static func policy() -> SyncPolicy {
        var policy = SyncPolicy()
        policy.safeguard.maxUserDeletions = 1_000
        policy.safeguard.maxUserDeletionPercent = 100
        policy.safeguard.maxGroupDeletionPercent = 100
        return policy
    }

    /// 24,000 people in four groups; rows with a duplicate account fail.
    static func firstRows() -> [UserRow] {
        var rows = (0..<24_000).map { SettledPlanTests.person($0) }
        rows.append(SettledPlanTests.person(7))
        return rows
    }

    /// The day after: 13,000 renamed (more than half the rows to plan: a full read, in parts),
    /// 400 gone, 3,000 new, one email taken from a user who stays, one group gone.
    static func secondRows() -> [UserRow] {
        var rows = (400..<27_000).map { SettledPlanTests.person($0) }
        for index in 0..<13_000 { rows[index].name += " Jr" }
        rows[20_000].email = rows[5].email
        return rows
    }

    /// The day after that: 2,000 renamed back and an email taken from a settled user (a plan of
    /// the unsettled rows only, which looks the settled users up as it writes).
    static func thirdRows() -> [UserRow] {
        var rows = secondRows()
        for index in 0..<2_000 { rows[index].name = SettledPlanTests.person(index + 400).name }
        rows[21_000].email = rows[25_000].email.uppercased()
        return rows
    }

    /// Everything a run leaves in the store that an admin or an auditor reads, without the times.
    static func contents(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            var lines: [String] = []
            for (table, columns) in [
                ("users", "id, account, name, email, mobile, accountType, disabledReason, managed, externalId, thirdParty, accountKey, emailKey, mobileKey"),
                ("memberships", "userId, groupId"),
                ("user_groups", "groupId, name, parentGroupId, managed"),
                ("user_changes", "userId, account, runId, field, old, new"),
                ("run_items", "runId, seq, kind, key, action, code, message"),
                ("runs", "id, status, failureCode, failureMessage, counts, itemTally"),
            ] {
                for row in try Row.fetchAll(db, sql: "SELECT \(columns) FROM \(table) ORDER BY \(columns)") {
                    lines.append("\(table): \(row)")
                }
            }
            return lines
        }
    }

    /// Runs the stored datasets as `account-sync run` does: planned and written part by part.
    static func streamedRun(_ store: AccountStore, policy: SyncPolicy, groups: String? = "org") throws -> SyncPlan {
        let runId = try store.beginRun(trigger: .manual, pid: 1)
        return try store.applyStoredRun(runId, users: "people", groups: groups, fingerprint: policy.settlingFingerprint, at: { context.now }) { input in
            try SyncPlanner(policy: policy).plan(groups: input.groupRows, existingGroups: input.groups, context: context, sink: input.sink) { outcome in
                try input.users(outcome)
            }
        }
    }

    /// Plans from the whole state first, then applies that plan in one piece.
    static func wholeRun(_ store: AccountStore, policy: SyncPolicy) throws -> SyncPlan {
        let users = try store.userRows(dataset: "people")
        let groups = try store.groupRows(dataset: "org")
        let runId = try store.beginRun(trigger: .manual, pid: 1)
        return try store.applyRun(runId, at: { context.now }) { state in
            SyncPlanner(policy: policy).plan(users: users, groups: groups, state: state, context: context)
        }
    }

    @Test func aRunWrittenAsItIsPlannedLeavesWhatTheWholePlanLeaves() throws {
        let policy = Self.policy()
        let streamed = try Workspace(policy: policy)
        let whole = try Workspace(policy: policy)
        for (groups, rows) in [([0, 1, 2, 3], Self.firstRows()), ([0, 1, 2], Self.secondRows()), ([0, 1, 2], Self.thirdRows())] {
            for workspace in [streamed, whole] {
                let store = try workspace.store()
                try store.replaceDataset(name: "org", groups: SettledPlanTests.groups(groups), source: "test")
                try store.replaceDataset(name: "people", users: rows, source: "test")
            }
            let streamedPlan = try Self.streamedRun(try streamed.store(), policy: policy)
            let wholePlan = try Self.wholeRun(try whole.store(), policy: policy)
            #expect(streamedPlan.status == .partiallyFailed && wholePlan.status == .partiallyFailed)
            #expect(streamedPlan.counts == wholePlan.counts)
            #expect(streamedPlan.counts.usersFailedNew + streamedPlan.counts.usersFailedUpdate > 0)
            let streamedContents = try Self.contents(streamed.config.storePath)
            let wholeContents = try Self.contents(whole.config.storePath)
            #expect(streamedContents.count == wholeContents.count, "\(streamedContents.count) lines streamed, \(wholeContents.count) whole")
            let firstDifference = zip(streamedContents, wholeContents).first { $0 != $1 }
            #expect(firstDifference == nil, "streamed, then whole: \(String(describing: firstDifference))")
        }
        let runs = try streamed.store().runs()
        #expect(runs.count == 3)
        #expect(runs[2].counts.usersCreated == 23_999)
        // The rows in the removed group g3 (a quarter) fail with UNKNOWN_GROUP.
        #expect(runs[1].counts.usersUpdated == 9_750 && runs[1].counts.usersCreated == 2_250)
        // Of the 400 gone, 37 were disabled already, 51 enabled Administrators are protected, and
        // user7 was never created (a duplicate).
        #expect(runs[1].counts.usersDisabledOnDelete == 311 && runs[1].counts.usersNotDeleted == 51 && runs[1].counts.groupsRemoved == 1)
        #expect(runs[0].counts.usersUpdated >= 1_000, "\(runs[0].counts)")
    }

    @Test func aSafeguardStopAfterPartsWereWrittenLeavesNothingOfThem() throws {
        var policy = Self.policy()
        policy.safeguard.maxMembershipRemovalsPerGroup = 100
        let workspace = try Workspace(policy: policy)
        let store = try workspace.store()
        try store.replaceDataset(name: "org", groups: SettledPlanTests.groups([0, 1, 2, 3]), source: "test")
        try store.replaceDataset(name: "people", users: Self.firstRows(), source: "test")
        #expect(try Self.streamedRun(store, policy: policy).counts.usersCreated == 23_999)
        let before = try Self.contents(workspace.config.storePath)

        // Every row renamed (three parts of changes), and the last 8,000 moved out of their group
        // (2,000 a group, over the run's approval of 1,000):
        // the per-group limit is known to be passed only once the last rows are planned.
        var rows = Self.firstRows().map { row in
            var row = row
            row.name += " Jr"
            return row
        }
        for index in 16_000..<24_000 { rows[index].groupIds = ["g\((index + 1) % 4)"] }
        try store.replaceDataset(name: "people", users: rows, source: "test")
        let plan = try Self.streamedRun(store, policy: policy)
        #expect(plan.failure?.code == .safeguardTripped)
        #expect(plan.discardsSinkParts)

        let after = try Self.contents(workspace.config.storePath)
        let run = try #require(try store.runs().first)
        #expect(run.status == .failed && run.failure?.code == .safeguardTripped)
        let items = try #require(try store.run(id: run.id)).items
        // Only the safeguard's list: the four groups over the limit, none of the 24,000 updates.
        #expect(items.map(\.key).sorted() == ["g0", "g1", "g2", "g3"])
        #expect(items.allSatisfy { $0.kind == .group && $0.code == .safeguardTripped })
        // The store is as it was, but for the failed run and its items.
        let kept = after.filter { !$0.hasPrefix("run_items: [runId:\(run.id) ") && !$0.hasPrefix("runs: [id:\(run.id) ") }
        #expect(kept.count == before.count)
        let firstDifference = zip(kept, before).first { $0 != $1 }
        #expect(firstDifference == nil, "after, then before: \(String(describing: firstDifference))")
        #expect(try store.user(account: "user1")?.name == "User 1")
    }

    /// A first run big enough to build its indexes after its inserts, whose rows all fail, keeps
    /// its items and the store's indexes; the next run creates everyone.
    @Test func aFirstRunWhoseRowsAllFailKeepsTheIndexes() throws {
        let policy = Self.policy()
        let workspace = try Workspace(policy: policy)
        let store = try workspace.store()
        let indexes = "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        let before = try DatabaseQueue(path: workspace.config.storePath).read { db in try String.fetchAll(db, sql: indexes) }
        #expect(before.contains("users_by_account_key") && before.contains("memberships_by_group"))

        // Users only: a valid group row would count as a success.
        let rows = (0..<12_000).map { index in
            var row = SettledPlanTests.person(index)
            row.groupIds = []
            return row
        }
        try store.replaceDataset(name: "people", users: rows.map { row in
            var row = row
            row.accountType = "Superuser"
            return row
        }, source: "test")
        let failed = try Self.streamedRun(store, policy: policy, groups: nil)
        #expect(failed.failure?.code == .allItemsFailed)
        #expect(try store.run(id: try #require(store.runs().first).id)?.items.count == 12_000)
        #expect(try DatabaseQueue(path: workspace.config.storePath).read { db in try String.fetchAll(db, sql: indexes) } == before)

        try store.replaceDataset(name: "people", users: rows, source: "test")
        #expect(try Self.streamedRun(store, policy: policy, groups: nil).counts.usersCreated == 12_000)
    }

    /// An update sets only the columns of the fields that changed (`UserUpdate`): each field, with
    /// its compared key, is written, and the store then holds exactly what the rows say.
    @Test func anUpdateWritesEachChangedFieldAndItsKey() throws {
        let policy = Self.policy()
        let workspace = try Workspace(policy: policy)
        let store = try workspace.store()
        try store.replaceDataset(name: "org", groups: SettledPlanTests.groups([0, 1, 2, 3]), source: "test")
        var rows = (0..<10).map { SettledPlanTests.person($0 + 1) }  // none is an Administrator or disabled
        try store.replaceDataset(name: "people", users: rows, source: "test")
        #expect(try Self.streamedRun(store, policy: policy).counts.usersCreated == 10)

        rows[0].account = "USER1"
        rows[1].name = "Renamed"
        rows[2].email = "New.Mail@Example.com"
        rows[3].mobile = "0086 139 0000 0004"
        rows[4].accountType = "Read-Only User"
        rows[5].externalId = "guid-new"
        rows[6].thirdParty = ["ldapDN": "uid=moved,ou=People,dc=example,dc=com"]
        rows[7].disabled = true
        rows[8].groupIds = ["g3"]
        rows[9].name = "Renamed too"
        rows[9].email = "other@example.com"
        rows[9].disabled = true
        try store.replaceDataset(name: "people", users: rows, source: "test")
        #expect(try Self.streamedRun(store, policy: policy).counts.usersUpdated == 10)

        // A full plan from what the store now holds finds nothing to change.
        let again = SyncPlanner(policy: policy).plan(
            users: rows, groups: SettledPlanTests.groups([0, 1, 2, 3]), state: try store.state(), context: Self.context)
        #expect(again.userChanges.isEmpty, "\(again.userChanges)")
        let stored = try DatabaseQueue(path: workspace.config.storePath).read { db in
            try Row.fetchAll(db, sql: "SELECT account, accountKey, email, emailKey, mobile, mobileKey, disabledReason, leftAt FROM users ORDER BY id")
        }
        for row in stored {
            let account: String = row[0], email: String = row[2], mobile: String = row[4]
            #expect(row[1] == Normalize.account(account) && row[3] == Normalize.email(email) && row[5] == Normalize.mobile(mobile))
        }
        #expect(stored[3][5] == "+8613900000004")
        #expect(stored[7][6] == "source" && stored[9][6] == "source")
        #expect((stored[7][7] as String?) == nil)  // left only when a run disables a leaver
    }
}

