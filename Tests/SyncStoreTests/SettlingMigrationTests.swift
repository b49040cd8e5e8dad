import Foundation
import GRDB
import SyncCore
import Testing

@testable import SyncStore

/// Migration v10 gives users written before it their compared values (account, email, mobile as
/// runs compare them) and no stamp, so the first run after the upgrade plans them in full; and the
/// indexes it makes survive a first run that rebuilds them.
@Suite struct SettlingMigrationTests {
    @Test func usersOfAnOlderStoreGetTheirKeysAndNoStamp() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("settling-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("store.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "v9: dataset row digests")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO users (account, name, email, mobile, accountType, managed, externalId, thirdParty, createdAt, updatedAt)
                    VALUES (' Ärger ', 'Ä', 'Mixed@Example.COM', '0086 138-0013-8000', 'Regular User', 1, 'guid-1', '', '2026-01-01', '2026-01-01')
                    """)
            }
        }
        let store = try AccountStore(path: path)
        let row = try store.read { db in
            try Row.fetchOne(db, sql: "SELECT accountKey, emailKey, mobileKey, sourceDigest FROM users")
        }
        #expect(row?[0] == "ärger")
        #expect(row?[1] == "mixed@example.com")
        #expect(row?[2] == "+8613800138000")
        #expect((row?[3] as Int64?) == nil)
    }

    /// A first run of 10,000 users builds the settling indexes, the memberships' index by group and
    /// the audit trail's indexes after its inserts (they are dropped and made again in its transaction): they are all there
    /// afterwards, and the next run settles every row through them.
    @Test func aFirstRunRebuildsTheSettlingIndexes() throws {
        let (workspace, store) = try Self.tenThousandPeople()
        #expect(try workspace.run().counts.usersCreated == 10_000)
        let indexes = try store.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'") }
        let rebuilt = ["users_by_source_digest", "users_by_external_id", "users_by_account_key", "users_by_email_key", "users_by_mobile_key", "memberships_by_group",
            "user_changes_by_user", "user_changes_by_account"]
        for name in rebuilt {
            #expect(indexes.contains(name), "\(name) is missing after the first run")
        }
        #expect(try SettledPlanTests.settledPlan(store, policy: workspace.config.policy, groups: nil).read.settled == 10_000)
    }

    /// A first run builds the indexes it dropped after its commit, beside the checkpoint that
    /// copies the commit into the store: afterwards every index is there, the store file holds the
    /// users, and the automatic checkpoint is on again. A run killed between the two commits left
    /// the store without them (dropped here by hand): the next run builds them before it plans.
    @Test func indexesBuiltAfterTheCommitAreThereAndAKilledBuildIsFinishedByTheNextRun() throws {
        let (workspace, store) = try Self.tenThousandPeople()
        let indexes = "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        let rebuilt = (Schema.rebuiltAfterBulkCreation + Schema.auditIndexes).map(\.0)
        let fileBefore = try FileManager.default.attributesOfItem(atPath: workspace.config.storePath)[.size] as? Int ?? 0
        // On this store's own connections, whose writer turns the automatic checkpoint off and on.
        #expect(try StreamedRunTests.streamedRun(store, policy: workspace.config.policy, groups: nil).counts.usersCreated == 10_000)
        let present = try store.read { db in try String.fetchAll(db, sql: indexes) }
        for name in rebuilt { #expect(present.contains(name), "\(name) is missing after the first run") }
        // Copied from the WAL into the store file: 10,000 users and their audit rows and items.
        let fileAfter = try FileManager.default.attributesOfItem(atPath: workspace.config.storePath)[.size] as? Int ?? 0
        #expect(fileAfter > fileBefore + 1_000_000, "the store file grew from \(fileBefore) to \(fileAfter) bytes")
        #expect(try store.queue.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 1000)

        // As a kill after the run's commit leaves it.
        try store.write { db in try Schema.dropIndexes([("users_by_source_digest", ""), ("user_changes_by_user", "")], db) }
        #expect(try store.read { db in try String.fetchAll(db, sql: indexes) }.count == present.count - 2)
        let next = try workspace.run()
        #expect(next.status == .success && next.counts.usersCreated == 0)
        #expect(try store.read { db in try String.fetchAll(db, sql: indexes) } == present)
        #expect(try SettledPlanTests.settledPlan(store, policy: workspace.config.policy, groups: nil).read.settled == 10_000)
    }

    /// A store whose people dataset holds 10,000 users in no group: enough for a first run to drop
    /// and rebuild its indexes.
    static func tenThousandPeople() throws -> (Workspace, AccountStore) {
        let workspace = try Workspace(groups: nil)
        let store = try workspace.store()
        try store.replaceDataset(name: "people", users: (0..<10_000).map { SettledPlanTests.person($0, withDN: false) }.map {
            var row = $0
            row.groupIds = []
            return row
        }, source: "test")
        return (workspace, store)
    }
}
