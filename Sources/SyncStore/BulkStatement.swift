import GRDB
import GRDBSQLite

/// A prepared INSERT or UPDATE run once a row with its values bound straight from Swift strings
/// and integers. GRDB's `execute(arguments:)` boxes every value into a `DatabaseValue` array first;
/// at a million rows (an import, the users of a first run, their audit rows and memberships) that
/// boxing was a third of the write. Errors are GRDB's `DatabaseError`s, as from GRDB itself.
/// It steps the statement past GRDB, so GRDB's transaction observers would not see these writes:
/// the store registers none.
///
/// A row's texts are copied into one buffer that the statement owns and bound from there: SQLite
/// then keeps no copy of its own (Debian's SQLite, built without lookaside, allocated one for
/// every text of every row).
final class BulkStatement {
    private let statement: Statement
    private let db: Database
    private let texts = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)

    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
    }

    deinit {
        texts.deallocate()
    }

    /// Binds the values `bind` gives, in order, and runs the statement once.
    func execute(_ bind: (inout Values) -> Void) throws {
        let handle = statement.sqliteStatement
        var values = Values(handle: handle, texts: texts)
        bind(&values)
        let code = sqlite3_step(handle)
        let message = code == SQLITE_DONE ? nil : String(cString: sqlite3_errmsg(db.sqliteConnection))
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)  // before the buffer is written again: no binding points into it
        if let message {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }

    /// The next parameter's value, left to right.
    struct Values {
        let handle: SQLiteStatement
        private var index: Int32 = 1
        /// The statement's text buffer, and how much of it this row's texts use.
        private let texts: UnsafeMutableRawBufferPointer
        private var used = 0
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        private static let unmanaged = unsafeBitCast(0, to: sqlite3_destructor_type.self)

        init(handle: SQLiteStatement, texts: UnsafeMutableRawBufferPointer) {
            self.handle = handle
            self.texts = texts
        }

        mutating func text(_ value: String) {
            var value = value
            value.withUTF8 { bytes in
                if bytes.isEmpty {
                    // An empty string may have no address, and a nil address would bind NULL, not ''.
                    _ = sqlite3_bind_text(handle, index, "", 0, Self.transient)
                } else if let base = texts.baseAddress, used + bytes.count <= texts.count {
                    // SQLITE_STATIC: bound from the statement's buffer, which outlives the step.
                    let copy = base + used
                    copy.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                    used += bytes.count
                    _ = sqlite3_bind_text(handle, index, copy.assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.unmanaged)
                } else {
                    // Longer than the buffer has left: SQLITE_TRANSIENT, SQLite copies the bytes.
                    bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { pointer in
                        _ = sqlite3_bind_text(handle, index, pointer, Int32(bytes.count), Self.transient)
                    }
                }
            }
            index += 1
        }

        mutating func text(_ value: String?) {
            if let value { text(value) } else { null() }
        }

        mutating func int(_ value: Int64) {
            sqlite3_bind_int64(handle, index, value)
            index += 1
        }

        mutating func int(_ value: Int) { int(Int64(value)) }

        mutating func int(_ value: Int64?) {
            if let value { int(value) } else { null() }
        }

        mutating func bool(_ value: Bool) { int(value ? 1 : 0) }

        mutating func null() {
            sqlite3_bind_null(handle, index)
            index += 1
        }
    }
}

extension Database {
    /// Runs a SELECT and hands each result row to `body`, which reads its columns with
    /// `sqlite3_column_*` and returns false to stop: GRDB's row decoding was most of the cost of
    /// reading a million integers (the settling step of every run). Errors are `DatabaseError`s.
    func eachRow(_ sql: String, arguments: StatementArguments = [], _ body: (SQLiteStatement) throws -> Bool) throws {
        let statement = try cachedStatement(sql: sql)
        try statement.setArguments(arguments)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: sql)
            }
            guard try body(handle) else { return }
        }
    }
}

/// An INSERT that takes its rows many to a statement (`INSERT … VALUES (…), (…), …`): at a
/// million rows (an import, the creations of a first run, their audit rows and run items) the
/// step and reset of a statement per row cost as much as SQLite's insert itself.
final class BatchedInsert {
    static let rowsPerStatement = 32
    private let db: Database
    private let head: String
    private let placeholders: String
    private let full: BulkStatement
    /// Statements for a last, shorter run of rows, by their number of rows (an update's few audit
    /// rows and memberships use one each time).
    private var tails: [Int: BulkStatement] = [:]

    /// `head` is the statement up to `VALUES` (`INSERT INTO t (a, b)`); each row binds `columns` values.
    init(_ db: Database, _ head: String, columns: Int) throws {
        self.db = db
        self.head = head
        placeholders = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        full = try BulkStatement(db, sql: Self.sql(head, placeholders, rows: Self.rowsPerStatement))
    }

    private static func sql(_ head: String, _ placeholders: String, rows: Int) -> String {
        head + " VALUES " + Array(repeating: placeholders, count: rows).joined(separator: ", ")
    }

    /// Inserts a row for each element, in order, `bind` giving its values.
    func insert<Elements: Sequence>(_ elements: Elements, _ bind: (Elements.Element, inout BulkStatement.Values) -> Void) throws {
        var pending: [Elements.Element] = []
        pending.reserveCapacity(Self.rowsPerStatement)
        func flush(_ statement: BulkStatement) throws {
            try statement.execute { values in
                for element in pending { bind(element, &values) }
            }
            pending.removeAll(keepingCapacity: true)
        }
        for element in elements {
            pending.append(element)
            if pending.count == Self.rowsPerStatement { try flush(full) }
        }
        guard !pending.isEmpty else { return }
        if tails[pending.count] == nil { tails[pending.count] = try BulkStatement(db, sql: Self.sql(head, placeholders, rows: pending.count)) }
        try flush(tails[pending.count]!)
    }
}
