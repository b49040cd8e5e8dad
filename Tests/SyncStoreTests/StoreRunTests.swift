import AccountSyncApp
import Foundation
import GRDB
import SyncCore
import SyncStore
import Testing

@Suite("Runs against a real SQLite store")
struct StoreRunTests {
    @Test func firstRunCreatesEverythingAndRecordsHistory() throws {
        let workspace = try Workspace()
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        let run = try workspace.run()
        #expect(run.status == .success)
        #expect(run.counts.usersCreated == 3)
        #expect(run.counts.usersDisabledOnCreate == 1)
        #expect(run.counts.groupsCreated == 3)
        #expect(run.finishedAt != nil)

        let store = try workspace.store()
        let users = try store.users()
        #expect(users.map(\.account) == ["alice", "bob", "carol"])
        #expect(users[2].disabledReason == .source)
        #expect(Set(users[2].groupIds) == ["eng", "sales"])
        #expect(try store.groups().first { $0.groupId == "eng" }?.parentGroupId == "acme")
        #expect(try store.runs().map(\.id) == [run.id])
        #expect(try store.run(id: run.id)?.items.count == 6)
    }

    /// A new store takes 16 KiB pages (fewer pages for a big run to write and read back); a store
    /// made with SQLite's 4 KiB pages keeps them and works as before.
    @Test func aNewStoreHasBigPagesAndAnOldOneKeepsItsOwn() throws {
        let fresh = try Workspace()
        try fresh.importDataset(.groups, "org", csv: orgCSV)
        try fresh.importDataset(.users, "people", csv: peopleCSV)
        #expect(try fresh.run().status == .success)
        #expect(try DatabaseQueue(path: fresh.config.storePath).read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 16_384)

        let old = try Workspace()
        let made = try DatabaseQueue(path: old.config.storePath)
        try made.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 4096")
            try db.execute(sql: "CREATE TABLE before_us (x INTEGER)")
        }
        try made.close()
        try old.importDataset(.groups, "org", csv: orgCSV)
        try old.importDataset(.users, "people", csv: peopleCSV)
        let run = try old.run()
        #expect(run.status == .success)
        #expect(run.counts.usersCreated == 3)
        #expect(try DatabaseQueue(path: old.config.storePath).read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 4_096)
    }

    @Test func theSameDatasetsTwiceChangeNothing() throws {
        let workspace = try Workspace()
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        _ = try workspace.run()
        let auditBefore = try workspace.store().userHistory(account: "alice").count
        let second = try workspace.run()
        #expect(second.status == .success)
        #expect(second.counts == RunCounts())
        #expect(second.items.isEmpty)
        #expect(try workspace.store().userHistory(account: "alice").count == auditBefore)
    }

    @Test func updatesAreAuditedAndAdminEditsOfUnownedFieldsSurvive() throws {
        var policy = SyncPolicy()
        policy.ownedFields = [.name, .email, .groups]
        let workspace = try Workspace(policy: policy)
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        _ = try workspace.run()
        let store = try workspace.store()
        try store.editUser(account: "bob", UserEdit(mobile: "+1 555 0100", accountType: .administrator), actor: "admin (tester)")
        try workspace.importDataset(.users, "people", csv: peopleCSV.replacingOccurrences(of: "bob,Bob,bob@", with: "bob,Robert,bob@"))
        let run = try workspace.run()
        #expect(run.counts.usersUpdated == 1)
        let bob = try #require(try store.user(account: "BOB"))
        #expect(bob.name == "Robert")
        #expect(bob.mobile == "+1 555 0100")
        #expect(bob.accountType == .administrator)
        let history = try store.userHistory(account: "bob")
        #expect(history.map(\.field) == ["created", "mobile", "accountType", "name"])
        #expect(history[1].actor == "admin (tester)")
        #expect(history[3].actor == "run #\(run.id)")
        #expect(history[3].old == "Bob" && history[3].new == "Robert")
    }

    @Test func leaversAreDisabledThenRestoredWhenTheyReturn() throws {
        let workspace = try Workspace()
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        _ = try workspace.run()
        let withoutBob = peopleCSV.split(separator: "\n").filter { !$0.hasPrefix("bob,") }.joined(separator: "\n")
        try workspace.importDataset(.users, "people", csv: withoutBob)
        let leave = try workspace.run()
        #expect(leave.counts.usersDisabledOnDelete == 1)
        #expect(try workspace.store().user(account: "bob")?.disabledReason == .deletion)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        let back = try workspace.run()
        #expect(back.counts.usersRestored == 1)
        #expect(try workspace.store().user(account: "bob")?.disabled == false)
    }

    /// A store after a first run of the sample datasets, with `deletedUsers: remove`.
    static func syncedWithRemoval() throws -> (Workspace, AccountStore) {
        var policy = SyncPolicy()
        policy.safeguard.deletedUsers = .remove
        let workspace = try Workspace(policy: policy)
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        _ = try workspace.run()
        return (workspace, try workspace.store())
    }

    @Test func ownerOfResourcesIsRemovedOnlyAfterTransfer() throws {
        let (workspace, store) = try Self.syncedWithRemoval()
        try store.addResource(name: "Q3 dashboard", ownerAccount: "bob", ownerGroupId: nil)
        let withoutBob = peopleCSV.split(separator: "\n").filter { !$0.hasPrefix("bob,") }.joined(separator: "\n")
        try workspace.importDataset(.users, "people", csv: withoutBob)
        let blocked = try workspace.run()
        #expect(blocked.status == .partiallyFailed)
        #expect(blocked.counts.usersNotDeleted == 1)
        #expect(blocked.items.first { $0.key == "bob" }?.code == .resourcesNotTransferred)
        #expect(try store.user(account: "bob") != nil)
        #expect(try store.transferResources(from: "bob", to: "alice") == 1)
        let removed = try workspace.run()
        #expect(removed.counts.usersRemoved == 1)
        #expect(try store.user(account: "bob") == nil)
        #expect(try store.userHistory(account: "bob").last?.field == "removed")
    }

    @Test func aNewUserNeverTakesTheIdOrTheAuditTrailOfARemovedOne() throws {
        let (workspace, store) = try Self.syncedWithRemoval()
        let carol = try #require(try store.user(account: "carol"))
        #expect(carol.id == (try store.users().map(\.id).max()))
        // carol leaves (the user with the highest id) and, in the same run, dave arrives with the
        // email and mobile she gives up: the removal is written before the creation.
        let swapped = peopleCSV.replacingOccurrences(
            of: "carol,Carol,carol@acme.example,,Read-Only User,eng;sales,yes", with: "dave,Dave,carol@acme.example,,Regular User,eng,")
        try workspace.importDataset(.users, "people", csv: swapped)
        let run = try workspace.run(allowDeletions: 1)
        #expect(run.status == .success)
        #expect(run.counts.usersRemoved == 1)
        #expect(run.counts.usersCreated == 1)
        let dave = try #require(try store.user(account: "dave"))
        #expect(dave.id > carol.id)
        #expect(dave.email == "carol@acme.example")
        #expect(try store.userHistory(account: "dave").map(\.field) == ["created"])
        #expect(try store.userHistory(account: "carol").map(\.field) == ["created", "removed"])
        // The next creation goes past dave, whatever was removed before.
        try workspace.importDataset(.users, "people", csv: swapped + "\nerin,Erin,erin@acme.example,,Regular User,,")
        _ = try workspace.run()
        #expect(try #require(try store.user(account: "erin")).id == dave.id + 1)
    }

    @Test func groupOwningResourcesIsNotRemoved() throws {
        let workspace = try Workspace()
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: "account,groupIds\nalice,eng\n")
        _ = try workspace.run(allowDeletions: 10)
        try workspace.store().addResource(name: "Sales board", ownerAccount: nil, ownerGroupId: "sales")
        try workspace.importDataset(.groups, "org", csv: "groupId,name,parentGroupId\nacme,Acme,\neng,Engineering,acme\n")
        let run = try workspace.run()
        #expect(run.counts.groupsNotDeleted == 1)
        #expect(run.items.first { $0.key == "sales" }?.code == .resourcesNotTransferred)
    }

    @Test func safeguardTripLeavesTheStoreUntouchedAndAllowDeletionsApproves() throws {
        var policy = SyncPolicy()
        policy.safeguard.maxUserDeletions = 0
        let workspace = try Workspace(policy: policy)
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        _ = try workspace.run()
        // carol is already disabled by the source, so her leaving deletes nobody; bob's does.
        try workspace.importDataset(.users, "people", csv: "account,name\nalice,Alice\nnewbie,Newbie\n")
        let tripped = try workspace.run()
        #expect(tripped.status == .failed)
        #expect(tripped.failure?.code == .safeguardTripped)
        #expect(tripped.items.map(\.key) == ["bob"])
        #expect(AccountSync.exitStatus(for: tripped) == .safeguardTripped)
        #expect(try workspace.store().user(account: "newbie") == nil)
        #expect(try workspace.store().users().filter { !$0.disabled }.count == 2)

        let approved = try workspace.run(allowDeletions: 1)
        #expect(approved.status == .success)
        #expect(approved.counts.usersCreated == 1)
        #expect(approved.counts.usersDisabledOnDelete == 1)
    }

    @Test func deletedDatasetFailsTheRunWithDatasetMissing() throws {
        let workspace = try Workspace()
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        _ = try workspace.run()
        #expect(try workspace.store().deleteDataset(named: "people"))
        let run = try workspace.run()
        #expect(run.status == .failed)
        #expect(run.failure?.code == .datasetMissing)
        #expect(run.failure?.message.contains("'people'") == true)
        #expect(try workspace.store().users().filter { !$0.disabled }.count == 2)
    }

    @Test func badFileIsRefusedWholeAndThePreviousDatasetStays() throws {
        let workspace = try Workspace()
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        #expect(throws: AppError.self) {
            try workspace.importDataset(.users, "people", csv: "account,name\nx,X\ny,\"broken\n")
        }
        do {
            try workspace.importDataset(.users, "people", csv: "account,name\nx,X\ny,\"broken\n")
        } catch let error as AppError {
            #expect(error.status == .dataInvalid)
            #expect(error.message.contains(":3: a quoted field starts here and is never closed"))
        }
        #expect(try workspace.store().dataset(named: "people")?.rowCount == 3)
        #expect(try workspace.store().userRows(dataset: "people").map(\.account) == ["alice", "bob", "carol"])
    }

    @Test func runLeftRunningByADeadProcessIsMarkedInterrupted() throws {
        let workspace = try Workspace()
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        let orphan = try workspace.store().beginRun(trigger: .scheduled, pid: 999_999)
        _ = try workspace.run()
        let record = try #require(try workspace.store().run(id: orphan))
        #expect(record.status == .failed)
        #expect(record.failure?.code == .interrupted)
        #expect(record.finishedAt != nil)
    }

    @Test func secondRunWhileOneHoldsTheLockIsRefused() throws {
        let workspace = try Workspace()
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        let lock = try StoreLock(storePath: workspace.config.storePath)
        do {
            _ = try workspace.run()
            Issue.record("a second run started")
        } catch let error as AppError {
            #expect(error.status == .runInProgress)
            #expect(error.message.contains("another account-sync run is in progress (pid \(getpid())"))
        }
        withExtendedLifetime(lock) {}
    }

    @Test func historyFiltersByStatusAndTime() throws {
        let workspace = try Workspace()
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        let good = try workspace.run()
        try workspace.importDataset(.users, "people", csv: "account,accountType\nalice,Boss\n")
        let bad = try workspace.run(allowDeletions: 5)
        let store = try workspace.store()
        #expect(try store.runs(RunFilter(statuses: [.success])).map(\.id) == [good.id])
        #expect(try store.runs(RunFilter(statuses: [.partiallyFailed, .failed])).map(\.id) == [bad.id])
        #expect(try store.runs(RunFilter(from: Date().addingTimeInterval(60))).isEmpty)
        #expect(try store.runs(RunFilter(from: Date().addingTimeInterval(-60), to: Date().addingTimeInterval(60))).count == 2)
    }

    @Test func localAccountsAreNeverTouchedAndCollideAsAccountExists() throws {
        let workspace = try Workspace()
        try workspace.importDataset(.groups, "org", csv: orgCSV)
        let store = try workspace.store()
        try store.addLocalUser(UserRecord(account: "Alice", name: "Local Alice", email: "", mobile: "", accountType: .administrator, groupIds: [], disabledReason: nil, externalId: "", thirdParty: [:]), actor: "admin")
        try workspace.importDataset(.users, "people", csv: peopleCSV)
        let run = try workspace.run()
        #expect(run.status == .partiallyFailed)
        #expect(run.items.first { $0.key == "alice" }?.code == .accountExists)
        #expect(try store.user(account: "alice")?.name == "Local Alice")
    }
}
