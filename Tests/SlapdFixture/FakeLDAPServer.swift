import Foundation

/// A server that is not an LDAP server, for the faults a real one only shows on a bad day: it
/// accepts connections on a free loopback port and then either hangs up at once or holds the
/// socket without a word (as a stalled TLS endpoint does). Stopped when released.
public final class FakeLDAPServer: @unchecked Sendable {
    public enum Behaviour: Sendable {
        /// Close each connection as soon as it is accepted.
        case hangUp
        /// Keep each connection open and never answer.
        case stall
    }

    public let port: Int
    public var uri: String { "ldap://127.0.0.1:\(port)" }
    public var tlsURI: String { "ldaps://127.0.0.1:\(port)" }
    private let listener: Int32
    private let lock = NSLock()
    private var held: [Int32] = []
    private var stopped = false

    public init(_ behaviour: Behaviour) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SlapdError("socket() failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard let bound = Slapd.bindLoopback(fd), listen(fd, 16) == 0 else {
            close(fd)
            throw SlapdError("cannot listen on loopback")
        }
        port = bound
        listener = fd
        let listener = fd
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }  // the listener was closed: stop
                switch behaviour {
                case .hangUp:
                    close(client)
                case .stall:
                    lock.lock()
                    if stopped { close(client) } else { held.append(client) }
                    lock.unlock()
                }
            }
        }
    }

    deinit {
        lock.lock()
        stopped = true
        for client in held { close(client) }
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
