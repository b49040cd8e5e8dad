import Crypto
import Foundation
import HummingbirdBcrypt
import HummingbirdOTP
import SyncStore

/// What an API token may do: `push` uploads datasets and starts runs, `read` only reads, `admin`
/// does what a console admin can.
public enum TokenScope: String, Sendable, CaseIterable, Codable {
    case push, read, admin
}

/// Who is making a request or a change: a console admin or an API token. Recorded on every state
/// change made through the API or the pages.
public enum Principal: Sendable, Equatable {
    case admin(String)
    case token(name: String, scope: TokenScope)

    /// As the audit trail and the history show it: `admin:alice`, `token:hq-dc1`.
    public var actor: String {
        switch self {
        case .admin(let name): "admin:\(name)"
        case .token(let name, _): "token:\(name)"
        }
    }

    public var canWrite: Bool {
        switch self {
        case .admin: true
        case .token(_, let scope): scope == .admin
        }
    }
}

/// A console login: the session id for the cookie (only its hash is stored) and the CSRF token the
/// forms of that session carry.
public struct LoginSession: Sendable {
    public var id: String
    public var csrfToken: String
    public var admin: String
    public var expiresAt: Date
}

/// Secrets: random, and hashed before they reach the store.
enum SecretHash {
    /// A random token of 32 bytes, URL-safe.
    static func randomToken(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return prefix + text
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

extension AccountSync {
    /// The shortest password an admin may have.
    public static let minimumPasswordLength = 12
    /// How long a console session lasts without a new login.
    public static let sessionLifetime: TimeInterval = 8 * 3600

    private func checkPassword(_ password: String) throws(AppError) {
        guard password.count >= Self.minimumPasswordLength else {
            throw AppError(.dataInvalid, "the password is \(password.count) characters; at least \(Self.minimumPasswordLength) are needed")
        }
        guard password.count <= 200, !password.contains(where: { $0.isNewline }) else {
            throw AppError(.dataInvalid, "the password must be one line of at most 200 characters")
        }
    }

    private func checkName(_ name: String, what: String) throws(AppError) {
        let valid = !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._@-".contains($0)) }
        guard valid else { throw AppError(.usage, "'\(name)' is not a valid \(what) name: 1 to 64 letters, digits, '.', '_', '@' or '-'") }
    }

    // MARK: Admins

    public func addAdmin(name: String, password: String) throws(AppError) {
        try checkName(name, what: "admin")
        try checkPassword(password)
        let hash = Bcrypt.hash(password, cost: 12)
        try withStore { try $0.addAdmin(name: name, passwordHash: hash) }
        logger.notice("admin '\(name)' added")
    }

    public func setAdminPassword(name: String, password: String) throws(AppError) {
        try checkPassword(password)
        let hash = Bcrypt.hash(password, cost: 12)
        try withStore { try $0.setAdminPassword(name: name, passwordHash: hash) }
        logger.notice("admin '\(name)': password changed; their sessions were ended")
    }

    public func removeAdmin(name: String) throws(AppError) {
        try withStore { try $0.removeAdmin(name: name) }
        logger.notice("admin '\(name)' removed")
    }

    public func admins() throws(AppError) -> [AdminAccount] {
        try withStore { try $0.admins() }
    }

    /// Turns the second factor on with a new secret; returns the otpauth:// URI for an
    /// authenticator app (shown once).
    public func enableTOTP(name: String) throws(AppError) -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let secret = String((0..<32).map { _ in alphabet.randomElement(using: &generator)! })
        try withStore { try $0.setAdminTOTP(name: name, secret: secret) }
        logger.notice("admin '\(name)': TOTP second factor turned on")
        return TOTP(secret: secret).createAuthenticatorURL(label: name, issuer: "account-sync")
    }

    // MARK: Tokens

    /// Creates a token and returns it: the only time it is seen; the store keeps its SHA-256.
    public func createToken(name: String, scope: TokenScope, createdBy: String, expiresInDays: Int? = nil) throws(AppError) -> String {
        try checkName(name, what: "token")
        let token = SecretHash.randomToken(prefix: "ast_")
        let expires = expiresInDays.map { Date().addingTimeInterval(Double($0) * 86_400) }
        try withStore { try $0.addToken(name: name, tokenHash: SecretHash.sha256(token), scope: scope.rawValue, createdBy: createdBy, expiresAt: expires) }
        logger.notice("API token '\(name)' created with scope \(scope.rawValue) by \(createdBy)")
        return token
    }

    public func tokens() throws(AppError) -> [APITokenRecord] {
        try withStore { try $0.tokens() }
    }

    public func revokeToken(name: String) throws(AppError) {
        try withStore { try $0.revokeToken(name: name) }
        logger.notice("API token '\(name)' revoked")
    }

    /// The principal a bearer token stands for, or nil when it is unknown, revoked or expired.
    public func principal(forToken token: String) throws(AppError) -> Principal? {
        guard token.hasPrefix("ast_"), token.count < 200 else { return nil }
        let record = try withStore { try $0.useToken(hash: SecretHash.sha256(token)) }
        return record.flatMap { record in TokenScope(rawValue: record.scope).map { .token(name: record.name, scope: $0) } }
    }

    // MARK: Sessions

    /// Checks a console login; returns a new session, or nil when the name, password or code is
    /// wrong (one answer for all three, so nothing tells which was wrong).
    public func login(name: String, password: String, totpCode: String?) throws(AppError) -> LoginSession? {
        guard let admin = try withStore({ try $0.admin(named: name) }), Bcrypt.verify(password, hash: admin.passwordHash) else { return nil }
        if let secret = admin.totpSecret {
            guard let code = totpCode.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else { return nil }
            let totp = TOTP(secret: secret)
            let now = Date()
            guard [-30.0, 0, 30].contains(where: { totp.compute(date: now.addingTimeInterval($0)) == code }) else { return nil }
        }
        let id = SecretHash.randomToken(prefix: "")
        let csrf = SecretHash.randomToken(prefix: "")
        let expires = Date().addingTimeInterval(Self.sessionLifetime)
        try withStore { try $0.addSession(idHash: SecretHash.sha256(id), admin: admin.name, csrfToken: csrf, expiresAt: expires) }
        logger.notice("admin '\(admin.name)' logged in")
        return LoginSession(id: id, csrfToken: csrf, admin: admin.name, expiresAt: expires)
    }

    /// Whether this admin needs a TOTP code to log in.
    public func requiresTOTP(name: String) throws(AppError) -> Bool {
        try withStore { try $0.admin(named: name)?.totpSecret != nil }
    }

    /// The session a cookie's id stands for, if it is live.
    public func session(id: String) throws(AppError) -> SessionRecord? {
        guard !id.isEmpty, id.count < 200 else { return nil }
        return try withStore { try $0.session(idHash: SecretHash.sha256(id)) }
    }

    /// Ends a session on the server: the cookie no longer opens anything.
    public func logout(sessionId: String) throws(AppError) {
        try withStore { try $0.removeSession(idHash: SecretHash.sha256(sessionId)) }
    }
}
