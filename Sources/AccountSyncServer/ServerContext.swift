import AccountSyncApp
import Hummingbird

/// The request context of every route: Hummingbird's core storage, plus who is asking (set by
/// `AuthenticationMiddleware`) and, for a console session, the CSRF token its forms must carry.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// Set when the principal came from a session cookie: state changes must carry this token.
    public var sessionCSRFToken: String?

    /// The peer's address (nil when driven without a socket, in tests).
    public let peerAddress: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies of up to 64 MiB (dataset uploads); pushes of larger datasets arrive in chunks.
    public var maxUploadSize: Int { 64 * 1024 * 1024 }
}
