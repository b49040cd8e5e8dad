import Foundation
import Synchronization

/// SIGTERM / SIGINT during a run (systemctl stop, shutdown, Ctrl-C): the run stops at the next
/// safe point, its transaction rolls back, and it is recorded as failed with a clear cause.
/// Signals are process-wide, so this is the one process-wide piece of state.
public final class Termination: Sendable {
    /// The signal that asked the process to stop, or 0.
    private let signalNumber = Atomic<Int32>(0)
    private let sources: Mutex<[DispatchSourceSignal]> = Mutex([])

    public static let shared = Termination()

    private init() {}

    /// Starts watching SIGTERM and SIGINT (idempotent).
    public func install() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            // A parent may have left these blocked (test runners do); a run must still hear them.
            var unblock = sigset_t()
            sigemptyset(&unblock)
            sigaddset(&unblock, SIGTERM)
            sigaddset(&unblock, SIGINT)
            pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
            for number in [SIGTERM, SIGINT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in signalNumber.store(number, ordering: .relaxed) }
                source.resume()
                sources.append(source)
            }
        }
    }

    public var requested: Bool { signalNumber.load(ordering: .relaxed) != 0 }

    /// "SIGTERM" or "SIGINT".
    public var signalName: String { signalNumber.load(ordering: .relaxed) == SIGINT ? "SIGINT" : "SIGTERM" }
}
