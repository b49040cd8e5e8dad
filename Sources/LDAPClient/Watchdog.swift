import CLDAP
import Foundation

/// Bounds one blocking libldap call (a connect with its TLS handshake, a bind, a root DSE read):
/// when the deadline passes, or the caller asks to stop (SIGTERM), it shuts the connection's
/// socket down from another thread, so the blocked call returns with an error instead of hanging
/// for as long as a stalled server holds the socket.
final class Watchdog: @unchecked Sendable {
    enum Outcome: Equatable {
        case none, deadline, cancelled
    }

    private let lock = NSLock()
    private var finished = false
    private var outcome = Outcome.none

    /// Starts watching `handle` for `seconds`; call `stop()` when the call returns.
    init(handle: OpaquePointer, seconds: Double, isCancelled: (@Sendable () -> Bool)?) {
        nonisolated(unsafe) let handle = handle
        let deadline = Date().addingTimeInterval(seconds)
        Thread.detachNewThread { [self] in
            while true {
                usleep(50_000)
                lock.lock()
                defer { lock.unlock() }
                if finished { return }
                let fire: Outcome = isCancelled?() == true ? .cancelled : (Date() >= deadline ? .deadline : .none)
                guard fire != .none else { continue }
                outcome = fire
                finished = true
                var fd: Int32 = -1
                if ldap_get_option(handle, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS, fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
                return
            }
        }
    }

    /// Stops watching; says whether the watchdog fired, and why.
    func stop() -> Outcome {
        lock.lock()
        defer { lock.unlock() }
        finished = true
        return outcome
    }
}
