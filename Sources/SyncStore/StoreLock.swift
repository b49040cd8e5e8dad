import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The one-run-at-a-time lock: an exclusive `flock` on `<store>.lock`. The kernel drops it when the
/// process dies, however it dies, so a crashed run never blocks the next one.
public final class StoreLock: @unchecked Sendable {
    private let descriptor: Int32
    public let path: String

    /// Takes the lock, or throws at once naming the holder when another process has it.
    public init(storePath: String) throws(StoreError) {
        path = storePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError(.unavailable, "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw StoreError(.conflict, "another account-sync run is in progress\(holder.isEmpty ? "" : " (\(holder))"); only one run at a time. Wait for it to finish, or check `account-sync history --status running`")
        }
        descriptor = fd
        let note = "pid \(getpid()) since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
