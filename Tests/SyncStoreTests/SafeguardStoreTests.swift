import AccountSyncApp
import Foundation
import GRDB
import SyncCore
import SyncStore
import Testing

/// What the safeguard keeps in the store: when a user left (for purges), and which runs' deletions
/// count in the window.
@Suite("The safeguard's memory in a real SQLite store")
struct SafeguardStoreTests {
    @Test func theStoreRemembersWhenAUserLeftAndForgetsItOnReturn() throws {
        let workspace = try Workspace(policy: SyncPolicy(safeguard: DeletionSafeguard(maxUserDeletions: 5)))
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        _ = try workspace.run()
        let withoutBob = peopleCSV.split(separator: "\n").filter { !$0.hasPrefix("bob,") }.joined(separator: "\n")
        try workspace.importDataset(.users, "people", csv: withoutBob)
        let before = Date()
        #expect(try workspace.run().counts.usersDisabledOnDelete == 1)
        let bob = try #require(try workspace.store().user(account: "bob"))
        #expect(bob.disabledReason == .deletion)
        let leftAt = try #require(bob.leftAt)
        #expect(abs(leftAt.timeIntervalSince(before)) < 60)

        try workspace.importDataset(.users, "people", csv: peopleCSV)
        #expect(try workspace.run().counts.usersRestored == 1)
        #expect(try workspace.store().user(account: "bob")?.leftAt == nil)
    }

    @Test func aPurgeRemovesAUserWhoLeftLongAgo() throws {
        let workspace = try Workspace(policy: SyncPolicy(safeguard: DeletionSafeguard(maxUserDeletions: 5, purgeAfterDays: 30)))
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        _ = try workspace.run()
        let withoutBob = peopleCSV.split(separator: "\n").filter { !$0.hasPrefix("bob,") }.joined(separator: "\n")
        try workspace.importDataset(.users, "people", csv: withoutBob)
        _ = try workspace.run()
        #expect(try workspace.run().counts.usersRemoved == 0)  // left today: kept disabled
        // Age the departure by 31 days, as if a month had passed.
        let queue = try DatabaseQueue(path: workspace.config.storePath)
        try queue.write { try $0.execute(sql: "UPDATE users SET leftAt = datetime(leftAt, '-31 days') WHERE account = 'bob'") }
        let purge = try workspace.run()
        #expect(purge.counts.usersRemoved == 1)
        #expect(try workspace.store().user(account: "bob") == nil)
        #expect(purge.items.contains { $0.key == "bob" && $0.message.contains("purged") })
    }

    @Test func theWindowCountsAppliedRunsButNotApprovedOnes() throws {
        let workspace = try Workspace()
        let store = try workspace.store()
        var counts = RunCounts()
        counts.usersDisabledOnDelete = 4
        counts.usersRemoved = 1
        counts.groupsRemoved = 2
        let plan = SyncPlan(status: .success, failure: nil, counts: counts, items: [], groupChanges: [], userChanges: [])
        let old = try store.beginRun(trigger: .manual, at: Date(timeIntervalSinceNow: -10 * 86_400), pid: 1)
        try store.applyRun(old) { _ in plan }
        let recent = try store.beginRun(trigger: .manual, at: Date(timeIntervalSinceNow: -86_400), pid: 1)
        try store.applyRun(recent) { _ in plan }
        let approved = try store.beginRun(trigger: .manual, approval: RunApproval(runId: nil, allowDeletions: 50, by: "jdoe", reason: nil), pid: 1)
        try store.applyRun(approved) { _ in plan }
        let failed = try store.beginRun(trigger: .manual, pid: 1)
        try store.failRun(failed, failure: RunFailure(code: .safeguardTripped, message: "x"))
        #expect(try store.deletions(since: Date(timeIntervalSinceNow: -7 * 86_400)) == DeletionTally(users: 5, groups: 2))
        #expect(try store.run(id: approved)?.approval?.by == "jdoe")
    }
}
