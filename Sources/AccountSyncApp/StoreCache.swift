import Foundation
import SyncStore

/// The one open store of an application: opened (and migrated) on first use, then shared.
final class StoreCache: @unchecked Sendable {
    private let lock = NSLock()
    private var store: AccountStore?

    func store(at path: String) throws(AppError) -> AccountStore {
        lock.lock()
        defer { lock.unlock() }
        if let store, store.path == path { return store }
        do {
            let opened = try AccountStore(path: path)
            store = opened
            return opened
        } catch {
            throw AppError(error)
        }
    }
}
