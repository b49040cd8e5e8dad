import AccountSyncConfig
import DatasetFormats
import SyncStore

/// The exit codes of `account-sync`, documented in the README; stable for scripts and systemd.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// The run failed: nothing was applied (see its failure).
    case runFailed = 1
    /// The run applied some changes; some items failed.
    case partiallyFailed = 2
    /// The run failed because the deletion safeguard tripped; approve with --allow-deletions N.
    case safeguardTripped = 3
    /// A bad command line (ArgumentParser's own code).
    case usage = 64
    /// A bad input file (dataset) or value.
    case dataInvalid = 65
    /// A named dataset, user, group or run does not exist.
    case notFound = 66
    /// The store cannot be opened, read or written.
    case storeUnavailable = 74
    /// Another run holds the lock.
    case runInProgress = 75
    /// The config file is missing or invalid.
    case configInvalid = 78
    /// The directory pull did not finish (`pull` only; a run records SOURCE_INCOMPLETE and exits 1).
    case sourceIncomplete = 69
}

/// Every error a command can end with: one clear message and its exit status.
public struct AppError: Error, Sendable, CustomStringConvertible {
    public var status: ExitStatus
    public var message: String

    public init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }

    public init(_ error: ConfigError) {
        self.init(.configInvalid, error.description)
    }

    public init(_ error: DatasetFileError) {
        self.init(.dataInvalid, error.description + "\nnothing was imported; the previous version of the dataset (if any) is unchanged")
    }

    public init(_ error: StoreError) {
        switch error.kind {
        case .unavailable: self.init(.storeUnavailable, error.message)
        case .notFound: self.init(.notFound, error.message)
        case .conflict: self.init(error.message.hasPrefix("another account-sync run") ? .runInProgress : .dataInvalid, error.message)
        case .invalid: self.init(.dataInvalid, error.message)
        case .cancelled: self.init(.runFailed, error.message)
        case .busy: self.init(.runInProgress, error.message)
        }
    }
}
