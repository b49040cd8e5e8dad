import GRDB
import GRDBSQLite

/// A prepared INSERT or UPDATE run once a row with its values bound straight from Swift strings
/// and integers. GRDB's `execute(arguments:)` boxes every value into a `DatabaseValue` array first;
/// at a million rows (an import, the users of a first run, their audit rows and memberships) that
/// boxing was a third of the write. Errors are GRDB's `DatabaseError`s, as from GRDB itself.
/// It steps the statement past GRDB, so GRDB's transaction observers would not see these writes:
/// the store registers none.
struct BulkStatement {
    private let statement: Statement
    private let db: Database

    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
    }

    /// Binds the values `bind` gives, in order, and runs the statement once.
    func execute(_ bind: (inout Values) -> Void) throws {
        let handle = statement.sqliteStatement
        var values = Values(handle: handle)
        bind(&values)
        let code = sqlite3_step(handle)
        let message = code == SQLITE_DONE ? nil : String(cString: sqlite3_errmsg(db.sqliteConnection))
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        if let message {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }

    /// The next parameter's value, left to right.
    struct Values {
        let handle: SQLiteStatement
        private var index: Int32 = 1
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        init(handle: SQLiteStatement) {
            self.handle = handle
        }

        mutating func text(_ value: String) {
            var value = value
            value.withUTF8 { bytes in
                // SQLITE_TRANSIENT: SQLite copies the bytes before this call returns. An empty
                // string may have no address, and a nil address would bind NULL, not ''.
                if let base = bytes.baseAddress, !bytes.isEmpty {
                    base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { pointer in
                        _ = sqlite3_bind_text(handle, index, pointer, Int32(bytes.count), Self.transient)
                    }
                } else {
                    _ = sqlite3_bind_text(handle, index, "", 0, Self.transient)
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
