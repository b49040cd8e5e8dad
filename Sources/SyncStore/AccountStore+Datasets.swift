import Crypto
import Foundation
import GRDB
import GRDBSQLite
import SyncCore

/// A stored dataset's name and summary.
public struct DatasetInfo: Sendable, Equatable, Codable {
    public var name: String
    public var kind: DatasetKind
    /// Where it came from (a file path, or the directory).
    public var source: String
    public var rowCount: Int
    public var importedAt: Date
}

extension AccountStore {
    /// Stores `rows` under `name`, replacing any earlier version in the same transaction.
    public func replaceDataset(name: String, users rows: [UserRow], source: String, at date: Date = Date()) throws(StoreError) {
        try replaceDataset(name: name, kind: .users, source: source, date: date) { writer in try writer.append(users: rows) }
    }

    /// Stores `rows` under `name`, replacing any earlier version in the same transaction.
    public func replaceDataset(name: String, groups rows: [GroupRow], source: String, at date: Date = Date()) throws(StoreError) {
        try replaceDataset(name: name, kind: .groups, source: source, date: date) { writer in try writer.append(groups: rows) }
    }

    /// Replaces the dataset `name` with the rows `fill` hands to its writer batch by batch, in one
    /// transaction: if `fill` throws (a bad line of the file), the earlier version is left as it
    /// was, and the error is rethrown as it came (not as a store error).
    public func replaceDataset(name: String, kind: DatasetKind, source: String, at date: Date = Date(), fill: (DatasetWriter) throws -> Void) throws {
        var failure: Error?
        do {
            try replaceDataset(name: name, kind: kind, source: source, date: date) { writer in
                do { try fill(writer) } catch {
                    failure = error
                    throw error
                }
            }
        } catch {
            throw failure ?? error
        }
    }

    /// Inserts rows at positions `start…` of dataset `name`, or rewrites the rows there, except
    /// those whose stored digest (`previous[position]`) says they are the same. Returns how many
    /// rows it wrote.
    static func write(_ encoded: EncodedRows, into name: String, from start: Int, previous: [Int64?] = [], db: Database) throws -> Int {
        /// Inserts each row whose digest differs from the stored one into `table`, `bind` giving
        /// its `columns` after the dataset name and position.
        func writeChanged(_ table: String, _ columns: [String], _ bind: (Int, inout BulkStatement.Values) -> Void) throws -> Int {
            let names = (["dataset", "position"] + columns + ["rowDigest"]).joined(separator: ", ")
            let changed = encoded.digests.indices.lazy.filter { offset in
                let position = start + offset
                return position >= previous.count || previous[position] != encoded.digests[offset]
            }
            var written = 0
            try BatchedInsert(db, "INSERT OR REPLACE INTO \(table) (\(names))", columns: columns.count + 3).insert(changed) { offset, values in
                values.text(name); values.int(start + offset)
                bind(offset, &values)
                values.int(encoded.digests[offset])
                written += 1
            }
            return written
        }
        switch encoded.rows {
        case .users(let rows, let groupIds, let thirdParty):
            let columns = ["account", "name", "email", "mobile", "accountType", "groupIds", "disabled", "externalId", "thirdParty"]
            return try writeChanged("dataset_users", columns) { offset, values in
                let row = rows[offset]
                values.text(row.account); values.text(row.name); values.text(row.email); values.text(row.mobile); values.text(row.accountType)
                values.text(groupIds?[offset] ?? GroupIdsCoding.encode(row.groupIds)); values.bool(row.disabled); values.text(row.externalId)
                values.text(thirdParty?[offset] ?? ThirdPartyCoding.encode(row.thirdParty))
            }
        case .groups(let rows, let thirdParty):
            return try writeChanged("dataset_groups", ["groupId", "name", "parentGroupId", "externalId", "thirdParty"]) { offset, values in
                let row = rows[offset]
                values.text(row.groupId); values.text(row.name); values.text(row.parentGroupId); values.text(row.externalId)
                values.text(thirdParty?[offset] ?? ThirdPartyCoding.encode(row.thirdParty))
            }
        }
    }

    /// One transaction: the dataset `name` becomes what `rows` writes. An earlier version of the
    /// same kind is updated in place (only changed rows are written, rows past the new end are
    /// deleted); one of another kind is deleted first.
    private func replaceDataset(name: String, kind: DatasetKind, source: String, date: Date, rows: (DatasetWriter) throws -> Void) throws(StoreError) {
        try write { db in
            let storedKind = try String.fetchOne(db, sql: "SELECT kind FROM datasets WHERE name = ?", arguments: [name])
            if storedKind != kind.rawValue {
                try db.execute(sql: "DELETE FROM datasets WHERE name = ?", arguments: [name])
                try db.execute(
                    sql: "INSERT INTO datasets (name, kind, source, rowCount, importedAt) VALUES (?, ?, ?, 0, ?)",
                    arguments: [name, kind.rawValue, source, date])
            }
            let writer = DatasetWriter(db: db, name: name, storePath: path)
            try rows(writer)
            try db.execute(sql: "DELETE FROM dataset_users WHERE dataset = ? AND position >= ?", arguments: [name, writer.count])
            try db.execute(sql: "DELETE FROM dataset_groups WHERE dataset = ? AND position >= ?", arguments: [name, writer.count])
            try db.execute(
                sql: "UPDATE datasets SET source = ?, rowCount = ?, importedAt = ? WHERE name = ?",
                arguments: [source, writer.count, date, name])
        }
    }

    // MARK: Staged datasets (a push in progress)

    /// Names that begin so are staging areas of pushes: never selected by a run, never listed.
    public static let stagingPrefix = "~push/"

    /// Starts (or restarts) a staged dataset: empty, under a staging name.
    public func beginStaged(_ name: String, kind: DatasetKind, source: String, at date: Date = Date()) throws(StoreError) {
        try replaceDataset(name: name, kind: kind, source: source, date: date) { _ in }
    }

    /// Appends rows to a staged dataset at `start` (its own transaction: a batch of an upload).
    public func appendStaged(_ name: String, users: [UserRow], groups: [GroupRow], from start: Int) throws(StoreError) {
        try write { db in
            _ = try Self.write(EncodedRows(users: users), into: name, from: start, db: db)
            _ = try Self.write(EncodedRows(groups: groups), into: name, from: start + users.count, db: db)
            try db.execute(sql: "UPDATE datasets SET rowCount = ? WHERE name = ?", arguments: [start + users.count + groups.count, name])
        }
    }

    /// Replaces each target dataset with its staged one, all in **one** transaction: a run sees
    /// both old datasets or both new ones, never one of each.
    public func commitStaged(_ pairs: [(staged: String, target: String)], at date: Date = Date()) throws(StoreError) {
        try write { db in
            for (staged, target) in pairs {
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM datasets WHERE name = ?)", arguments: [staged]) == true else {
                    throw StoreError(.notFound, "nothing was uploaded for \(target)")
                }
                try db.execute(sql: "DELETE FROM datasets WHERE name = ?", arguments: [target])
                try db.execute(sql: """
                    INSERT INTO datasets (name, kind, source, rowCount, importedAt) SELECT ?, kind, source, rowCount, ? FROM datasets WHERE name = ?
                    """, arguments: [target, date, staged])
                try db.execute(sql: "UPDATE dataset_users SET dataset = ? WHERE dataset = ?", arguments: [target, staged])
                try db.execute(sql: "UPDATE dataset_groups SET dataset = ? WHERE dataset = ?", arguments: [target, staged])
                try db.execute(sql: "DELETE FROM datasets WHERE name = ?", arguments: [staged])
            }
        }
    }

    /// Drops staged datasets whose name starts with `prefix` (a failed or abandoned push).
    public func dropStaged(prefix: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: "DELETE FROM datasets WHERE substr(name, 1, ?) = ?", arguments: [prefix.count, prefix])
        }
    }

    public func datasets() throws(StoreError) -> [DatasetInfo] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM datasets WHERE substr(name, 1, 6) <> '~push/' ORDER BY name").map(Self.datasetInfo)
        }
    }

    public func dataset(named name: String) throws(StoreError) -> DatasetInfo? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM datasets WHERE name = ?", arguments: [name]).map(Self.datasetInfo) }
    }

    /// Deletes a dataset; returns false when there was none of that name.
    public func deleteDataset(named name: String) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM datasets WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    /// The rows of a stored user dataset, in their file order (`limit` rows at most).
    public func userRows(dataset name: String, limit: Int? = nil, offset: Int = 0) throws(StoreError) -> [UserRow] {
        try read { db in try Self.userRows(db, dataset: name, limit: limit, offset: offset) }
    }

    /// The rows of a stored group dataset, in their file order.
    public func groupRows(dataset name: String, limit: Int? = nil, offset: Int = 0) throws(StoreError) -> [GroupRow] {
        try read { db in try Self.groupRows(db, dataset: name, limit: limit, offset: offset) }
    }

    static func userRows(_ db: Database, dataset name: String, limit: Int? = nil, offset: Int = 0) throws -> [UserRow] {
        var rows: [UserRow] = []
        let interner = TextInterner()
        try db.eachRow("""
            SELECT \(userRowColumns) FROM dataset_users WHERE dataset = ? ORDER BY position LIMIT ? OFFSET ?
            """, arguments: [name, limit ?? -1, offset]) { statement in
            rows.append(userRow(statement, interning: interner).row)
            return true
        }
        return rows
    }

    /// The columns `userRow(_:interning:)` reads, in its order, followed by the row's digest.
    static let userRowColumns = "account, name, email, mobile, accountType, groupIds, disabled, externalId, thirdParty, rowDigest"

    /// The current result row of a statement that selects `userRowColumns`, read straight from its
    /// columns (GRDB's row decoding was a third of reading a million rows), with its stored digest.
    static func userRow(_ statement: SQLiteStatement, interning interner: TextInterner) -> (row: UserRow, digest: Int64?) {
        func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8> { Self.bytes(statement, column) }
        func text(_ column: Int32) -> String { Self.text(statement, column) }
        let row = UserRow(
            account: text(0), name: text(1), email: text(2), mobile: text(3), accountType: interner.text(bytes(4)),
            groupIds: StoredJSON.groupIds(bytes(5), interning: interner), disabled: sqlite3_column_int64(statement, 6) != 0,
            externalId: text(7), thirdParty: StoredJSON.thirdParty(bytes(8), interning: interner))
        let digest = sqlite3_column_type(statement, 9) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, 9)
        return (row, digest)
    }

    /// A text column of the current result row, as SQLite holds it (valid until the next step).
    static func bytes(_ statement: SQLiteStatement, _ column: Int32) -> UnsafeBufferPointer<UInt8> {
        guard let bytes = sqlite3_column_text(statement, column) else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column)))
    }

    static func text(_ statement: SQLiteStatement, _ column: Int32) -> String { String(decoding: bytes(statement, column), as: UTF8.self) }

    static func groupRows(_ db: Database, dataset name: String, limit: Int? = nil, offset: Int = 0) throws -> [GroupRow] {
        try Row.fetchAll(db, sql: """
            SELECT groupId, name, parentGroupId, externalId, thirdParty FROM dataset_groups WHERE dataset = ? ORDER BY position LIMIT ? OFFSET ?
            """, arguments: [name, limit ?? -1, offset]).map {
                GroupRow(groupId: try $0.decode(atIndex: 0), name: try $0.decode(atIndex: 1), parentGroupId: try $0.decode(atIndex: 2), externalId: try $0.decode(atIndex: 3), thirdParty: ThirdPartyCoding.decode(try $0.decode(atIndex: 4)))
            }
    }

    private static func datasetInfo(_ row: Row) throws -> DatasetInfo {
        DatasetInfo(
            name: try row.decode(forColumn: "name"), kind: DatasetKind(rawValue: try row.decode(forColumn: "kind")) ?? .users, source: try row.decode(forColumn: "source"),
            rowCount: try row.decode(forColumn: "rowCount"), importedAt: try row.decode(forColumn: "importedAt"))
    }
}

/// Appends rows to a dataset being replaced, inside `replaceDataset`'s transaction, numbering
/// them in the order they come. Where the earlier version holds the same row at the same
/// position (by digest), nothing is written: a daily pull of a million people that changed a
/// few rewrites a few rows.
public final class DatasetWriter {
    let db: Database
    let name: String
    let storePath: String
    /// The earlier version's row digests by position (nil: stored before digests were kept), read
    /// when the first rows come: meanwhile the rows are being pulled or parsed on another thread.
    private var previous: [Int64?]?
    public private(set) var count = 0
    /// Rows inserted or rewritten so far (the rest were unchanged).
    public private(set) var written = 0

    init(db: Database, name: String, storePath: String) {
        self.db = db
        self.name = name
        self.storePath = storePath
    }

    private static func storedDigests(of name: String, db: Database) throws -> [Int64?] {
        var previous: [Int64?] = []
        try db.eachRow("""
            SELECT position, rowDigest FROM dataset_users WHERE dataset = ?1
            UNION ALL SELECT position, rowDigest FROM dataset_groups WHERE dataset = ?1
            """, arguments: [name]) { row in
            let position = Int(sqlite3_column_int64(row, 0))
            guard position >= 0 else { return true }
            if position >= previous.count { previous += [Int64?](repeating: nil, count: position + 1 - previous.count) }
            previous[position] = sqlite3_column_type(row, 1) == SQLITE_NULL ? nil : sqlite3_column_int64(row, 1)
            return true
        }
        return previous
    }

    /// Appends rows already encoded (an import encodes them on its reading thread).
    public func append(_ encoded: EncodedRows) throws(StoreError) {
        do {
            if previous == nil { previous = try Self.storedDigests(of: name, db: db) }
            written += try AccountStore.write(encoded, into: name, from: count, previous: previous ?? [], db: db)
        } catch {
            throw StoreError.wrap(error, path: storePath)
        }
        count += encoded.count
    }

    public func append(users: [UserRow]) throws(StoreError) { try append(EncodedRows(users: users)) }

    public func append(groups: [GroupRow]) throws(StoreError) { try append(EncodedRows(groups: groups)) }
}

/// Dataset rows as the store keeps them: each row's digest, and, when asked for, the texts of
/// their list and map columns, worked out on whichever thread makes them: an import's reading
/// thread does this work, so that its writing thread only writes (the writer was the slower of
/// the two). Without the texts, the writer makes them only for the rows it writes: a daily pull
/// of a million unchanged people makes none.
public struct EncodedRows: Sendable {
    enum Rows {
        case users([UserRow], groupIds: [String]?, thirdParty: [String]?)
        case groups([GroupRow], thirdParty: [String]?)
    }

    let rows: Rows
    let digests: [Int64]

    public init(users: [UserRow], withTexts: Bool = true) {
        var digest = RowDigest()
        // Through a pointer: each row is read in place (`users[index]` copies it, retaining and
        // releasing each of its fields, for each of a million rows).
        digests = users.withUnsafeBufferPointer { rows in rows.indices.map { digest.of(rows.baseAddress! + $0) } }
        rows = .users(
            users, groupIds: withTexts ? users.map { GroupIdsCoding.encode($0.groupIds) } : nil,
            thirdParty: withTexts ? users.map { ThirdPartyCoding.encode($0.thirdParty) } : nil)
    }

    public init(groups: [GroupRow]) {
        var digest = RowDigest()
        digests = groups.indices.map { digest.of(groups[$0]) }
        rows = .groups(groups, thirdParty: groups.map { ThirdPartyCoding.encode($0.thirdParty) })
    }

    public var count: Int { digests.count }
}

/// A stable 64-bit digest of a stored row's column texts (the first 8 bytes of their SHA-256,
/// each text length-prefixed so that no two rows share an encoding). Stable across processes and
/// versions, unlike Swift's seeded `Hasher`; a cryptographic hash, so that no one can make a
/// changed row of theirs look unchanged. The list and map columns are encoded straight into the
/// digested bytes, without making their texts.
struct RowDigest {
    private var buffer: [UInt8] = []

    mutating func of(_ row: UserRow) -> Int64 {
        withUnsafePointer(to: row) { of($0) }
    }

    /// The digest of a row read in place (a batch's rows, without copying each).
    mutating func of(_ row: UnsafePointer<UserRow>) -> Int64 {
        buffer.removeAll(keepingCapacity: true)
        text(row.pointee.account); text(row.pointee.name); text(row.pointee.email); text(row.pointee.mobile); text(row.pointee.accountType)
        encoded { GroupIdsCoding.encode(row.pointee.groupIds, into: &$0) }
        text(row.pointee.disabled ? "1" : "0"); text(row.pointee.externalId)
        encoded { ThirdPartyCoding.encode(row.pointee.thirdParty, into: &$0) }
        return finish()
    }

    mutating func of(_ row: GroupRow) -> Int64 {
        buffer.removeAll(keepingCapacity: true)
        text(row.groupId); text(row.name); text(row.parentGroupId); text(row.externalId)
        encoded { ThirdPartyCoding.encode(row.thirdParty, into: &$0) }
        return finish()
    }

    private mutating func text(_ value: String) {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: value.utf8.count).littleEndian) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: value.utf8)
    }

    /// A text written by `encode`, length-prefixed like the others: the length is filled in after.
    private mutating func encoded(_ encode: (inout [UInt8]) -> Void) {
        let start = buffer.count
        buffer.append(contentsOf: [0, 0, 0, 0])
        encode(&buffer)
        let length = UInt32(truncatingIfNeeded: buffer.count - start - 4).littleEndian
        withUnsafeBytes(of: length) { for (offset, byte) in $0.enumerated() { buffer[start + offset] = byte } }
    }

    private func finish() -> Int64 {
        SHA256.hash(data: buffer).withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
    }
}
