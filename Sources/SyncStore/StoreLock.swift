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
        // Never through a symlink, and only a regular file of our own: the lock is written to.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw StoreError(.unavailable, "the lock file \(path) is a symbolic link; refusing to follow it. Remove it (account-sync creates its own)")
            }
            throw StoreError(.unavailable, "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() else {
            close(fd)
            throw StoreError(.unavailable, "the lock file \(path) is not a regular file owned by this user (uid \(geteuid())); refusing to use it. Remove it (account-sync creates its own)")
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
