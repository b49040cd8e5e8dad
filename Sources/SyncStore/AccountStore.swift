import Foundation
import GRDB
import SyncCore

/// The account store: datasets, users, groups, memberships, resources, the Update History and the
/// per-user audit trail, in one SQLite file created with its schema on first use.
///
/// Every write is one transaction; `apply(_:run:)` writes a whole plan and its history entry at
/// once, so a crash leaves the store as it was before the run.
public final class AccountStore: Sendable {
    public let path: String
    let queue: DatabaseQueue

    /// Opens (and if needed creates and migrates) the store at `path`.
    public init(path: String) throws(StoreError) {
        self.path = path
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw StoreError(.unavailable, "the store's folder \(folder) does not exist; create it or change store.path")
            }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
            }
            try Schema.migrator.migrate(queue)
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Runs `body` in a read, turning database errors into `StoreError`.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try queue.read(body) } catch { throw StoreError.wrap(error, path: path) }
    }

    /// Runs `body` in one write transaction, turning database errors into `StoreError`.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try queue.write(body) } catch { throw StoreError.wrap(error, path: path) }
    }
}

/// Compact storage of `thirdParty` maps: empty stays empty, otherwise sorted JSON.
enum ThirdPartyCoding {
    static func encode(_ map: [String: String]) -> String {
        guard !map.isEmpty,
            let data = try? JSONSerialization.data(withJSONObject: map, options: [.sortedKeys])
        else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String) -> [String: String] {
        guard !text.isEmpty, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        else { return [:] }
        return object
    }
}
