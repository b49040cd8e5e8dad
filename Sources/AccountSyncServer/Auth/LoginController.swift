import AccountSyncApp
import AccountSyncConfig
import Foundation
import HTTPTypes
import Hummingbird

/// Console sign-in and sign-out through the API: a session cookie (HttpOnly, SameSite=Strict,
/// Secure on https, ended on the server at sign-out) and the CSRF token its changes must carry.
struct LoginController {
    let signIn: SignIn

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.post("login", use: login)
        group.post("logout", use: logout)
    }

    struct LoginRequest: Decodable {
        var name: String
        var password: String
        var totp: String?
    }

    struct LoginView: Encodable {
        var admin: String
        var csrfToken: String
        var expiresAt: Date
    }

    @Sendable func login(request: Request, context: ServerContext) async throws -> Response {
        let body = try await request.decode(as: LoginRequest.self, context: context)
        let session = try signIn.attempt(name: body.name, password: body.password, totp: body.totp, address: context.peerAddress)
        var response = try JSONResponse.make(LoginView(admin: session.admin, csrfToken: session.csrfToken, expiresAt: session.expiresAt))
        response.headers[.setCookie] = signIn.cookie(for: session)
        return response
    }

    @Sendable func logout(request: Request, context: ServerContext) async throws -> Response {
        // Ending a session is a change: with a session, it needs the CSRF token (no forced sign-out).
        _ = try Access.require(.signOut, context, request: request)
        var response = Response(status: .noContent)
        response.headers[.setCookie] = try signIn.end(request)
        return response
    }
}

/// Signing in and out, for the API and the pages alike: failed attempts limited per account and
/// per address, one answer for a wrong name, password or code, and the session cookie.
struct SignIn: Sendable {
    let app: AccountSync
    let settings: ServerSettings
    let limiter: LoginLimiter

    /// A new session, or 401 (wrong name, password or code) / 429 (too many failures).
    func attempt(name: String, password: String, totp: String?, address: String?) throws(APIError) -> LoginSession {
        let address = address ?? "unknown"
        if let wait = limiter.blocked(account: name, address: address) {
            throw APIError(.tooManyRequests, code: "TOO_MANY_ATTEMPTS", "too many failed sign-ins; try again in \(Int(wait) / 60 + 1) minutes")
        }
        let session = try useCase { () throws(AppError) in try app.login(name: name, password: password, totpCode: totp) }
        guard let session else {
            limiter.failed(account: name, address: address)
            throw APIError(.unauthorized, code: "UNAUTHORIZED", "the name, the password or the code is wrong")
        }
        limiter.succeeded(account: name)
        return session
    }

    /// The `Set-Cookie` value that carries a new session.
    func cookie(for session: LoginSession) -> String {
        Self.cookie(session.id, maxAge: Int(AccountSync.sessionLifetime), secure: settings.secureCookies)
    }

    /// Ends the request's session on the server; returns the `Set-Cookie` value that clears it.
    func end(_ request: Request) throws(APIError) -> String {
        if let id = request.cookies[AuthenticationMiddleware.sessionCookie]?.value {
            try useCase { () throws(AppError) in try app.logout(sessionId: id) }
        }
        return Self.cookie("", maxAge: 0, secure: settings.secureCookies)
    }

    static func cookie(_ value: String, maxAge: Int, secure: Bool) -> String {
        "\(AuthenticationMiddleware.sessionCookie)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }
}

/// Failed sign-ins per account and per address within a window: past a limit, further attempts
/// are refused (429) until the window passes, whatever the password.
final class LoginLimiter: @unchecked Sendable {
    static let window: TimeInterval = 15 * 60
    static let perAccount = 5
    static let perAddress = 20
    private let lock = NSLock()
    private var failures: [String: [Date]] = [:]

    /// Seconds to wait, or nil when an attempt is allowed.
    func blocked(account: String, address: String) -> TimeInterval? {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        for (key, limit) in [("a:" + account.lowercased(), Self.perAccount), ("i:" + address, Self.perAddress)] {
            let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < Self.window }
            failures[key] = recent
            if recent.count >= limit, let first = recent.first { return Self.window - now.timeIntervalSince(first) }
        }
        return nil
    }

    func failed(account: String, address: String) {
        lock.lock()
        defer { lock.unlock() }
        failures["a:" + account.lowercased(), default: []].append(Date())
        failures["i:" + address, default: []].append(Date())
    }

    func succeeded(account: String) {
        lock.lock()
        defer { lock.unlock() }
        failures["a:" + account.lowercased()] = nil
    }
}
