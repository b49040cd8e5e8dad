import AccountSyncApp
import AccountSyncConfig
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import Prometheus

/// Builds the service: the routes of the API and the service, the middleware (security headers,
/// request metrics, authentication) and the server with TLS when the config gives a certificate.
///
/// ```swift
/// let application = try buildApplication(app: app, settings: config.server, logger: logger)
/// try await application.runService()   // until SIGTERM or SIGINT
/// ```
public func buildApplication(
    app: AccountSync, settings: ServerSettings, logger: Logger, board: ProgressBoard = ProgressBoard(), halfway: (@Sendable () -> Void)? = nil
) throws -> some ApplicationProtocol {
    if !settings.usesTLS && !settings.isLoopback && !settings.allowPlainHTTP {
        throw ServerStartError(
            "refusing to serve plain HTTP on \(settings.host): passwords and tokens would cross the network in clear. Give server.tls (certFile, keyFile), or set server.allowPlainHTTP: true behind a TLS-terminating proxy")
    }
    let router = buildRouter(app: app, settings: settings, board: board, halfway: halfway)
    let server: HTTPServerBuilder
    if let certificate = settings.certificateFile, let key = settings.keyFile {
        do {
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            server = try .tls(.http1(), tlsConfiguration: tls)
        } catch {
            throw ServerStartError("cannot use the TLS certificate \(certificate) and key \(key): \(error)")
        }
    } else {
        server = .http1()
    }
    return Application(
        router: router, server: server,
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "account-sync"),
        logger: logger)
}

/// The router alone (the tests drive it without a socket, and `buildApplication` serves it).
public func buildRouter(
    app: AccountSync, settings: ServerSettings, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), board: ProgressBoard = ProgressBoard(),
    halfway: (@Sendable () -> Void)? = nil
) -> Router<ServerContext> {
    let router = Router(context: ServerContext.self)
    router.add(middleware: SecurityHeadersMiddleware(hsts: settings.usesTLS))
    router.add(middleware: RequestMetricsMiddleware(registry: registry))
    router.add(middleware: AuthenticationMiddleware(app: app))
    let api = router.group("api/v1")
    RunsController(app: app, progress: board, halfway: halfway).addRoutes(to: api)
    AccountsController(app: app).addRoutes(to: api)
    SettingsController(app: app).addRoutes(to: api)
    app.dropStalePushes()
    PushController(app: app, sessions: PushSessions(), progress: board).addRoutes(to: api)
    let signIn = SignIn(app: app, settings: settings, limiter: LoginLimiter())
    LoginController(signIn: signIn).addRoutes(to: api)
    ServiceController(app: app, registry: registry).addRoutes(to: router, api: api)
    // The Admin Center: server-rendered pages on the same use cases, errors as pages.
    let renderer = PageRenderer.shipped
    AssetsController().addRoutes(to: router)
    let pages = router.group().add(middleware: PageErrorMiddleware(renderer: renderer))
    LoginPages(signIn: signIn, renderer: renderer).addRoutes(to: pages)
    SyncPages(app: app, renderer: renderer).addRoutes(to: pages)
    HistoryPages(app: app, renderer: renderer, progress: board, halfway: halfway).addRoutes(to: pages)
    UserPages(app: app, renderer: renderer).addRoutes(to: pages)
    DatasetPages(app: app, renderer: renderer).addRoutes(to: pages)
    AccessPages(app: app, renderer: renderer).addRoutes(to: pages)
    return router
}

/// Why the server cannot start, in words for the admin.
public struct ServerStartError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
