import Foundation
import GRDB
import SyncCore
import Testing

@testable import SyncStore

/// Migration v10 gives users written before it their compared values (account, email, mobile as
/// runs compare them) and no stamp, so the first run after the upgrade plans them in full.
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
}
