import GRDB

/// A store problem written for an administrator, never a raw database error.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The store file cannot be opened, read or written.
        case unavailable
        /// A name, account or id that the command refers to does not exist.
        case notFound
        /// The request conflicts with what is stored (an account that exists, a value in use…).
        case conflict
        /// A value the request gives is not acceptable.
        case invalid
        /// The process was asked to stop; the transaction was rolled back.
        case cancelled
        /// Another process (a run) holds the store's write lock for longer than we wait.
        case busy
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Turns a GRDB error into plain words naming the store file.
    static func wrap(_ error: Error, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if error is RowDecodingError {
            return StoreError(.unavailable, "the store \(path) is damaged: a value does not have the type account-sync wrote (\(error)); restore it from a backup")
        }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return StoreError(.busy, "the store \(path) is busy: another account-sync process (a run?) is writing to it. Nothing was changed; try again when it has finished")
            case .SQLITE_READONLY:
                return StoreError(.unavailable, "the store \(path) is read-only for this user")
            case .SQLITE_CANTOPEN:
                return StoreError(.unavailable, "the store \(path) cannot be opened: does its folder exist and is it writable?")
            case .SQLITE_FULL:
                return StoreError(.unavailable, "the disk holding the store \(path) is full")
            case .SQLITE_ERROR where (error.message ?? "").contains("no such column") || (error.message ?? "").contains("no such table"):
                return StoreError(.unavailable, "the store \(path) is damaged: \(error.message ?? "its tables are not as account-sync made them"); restore it from a backup")
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return StoreError(.unavailable, "the store \(path) is not a valid account-sync store (corrupt, or another kind of file)")
            default:
                return StoreError(.unavailable, "the store \(path) failed: \(error.message ?? "\(error.resultCode)")")
            }
        }
        return StoreError(.unavailable, "the store \(path) failed: \(error)")
    }
}
