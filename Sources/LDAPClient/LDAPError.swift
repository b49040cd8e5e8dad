import CLDAP
import Foundation

/// An LDAP failure written for an administrator, with a stable `kind` for code and tests.
public struct LDAPError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in the terms an admin acts on.
    public enum Kind: String, Sendable {
        case connectFailed, serverDown, timeout, tlsFailed
        case invalidCredentials, insecureBindRefused, strongAuthRequired
        case noSuchObject, sizeLimitExceeded, timeLimitExceeded, adminLimitExceeded
        case referral, pagingRejected, insufficientAccess, invalidDN, invalidFilter, other
        /// The caller asked to stop (SIGTERM, SIGINT) while the call was blocked.
        case cancelled
    }

    public var kind: Kind
    /// The LDAP result code (negative for client-side errors); 0 for errors raised by this library.
    public var resultCode: Int32
    /// The operation that failed: connect, bind, search…
    public var operation: String
    public var message: String
    /// The server's diagnostic message, if any (AD puts its sub-code here: `data 52e`).
    public var diagnostic: String?

    public init(kind: Kind, resultCode: Int32 = 0, operation: String, message: String, diagnostic: String? = nil) {
        self.kind = kind
        self.resultCode = resultCode
        self.operation = operation
        self.message = message
        self.diagnostic = diagnostic
    }

    /// The error for a libldap result code, with the handle's diagnostic message.
    init(code: Int32, operation: String, handle: OpaquePointer?, detail: String? = nil) {
        var diagnostic: String?
        if let handle {
            var text: UnsafeMutablePointer<CChar>?
            if ldap_get_option(handle, LDAP_OPT_DIAGNOSTIC_MESSAGE, &text) == LDAP_OPT_SUCCESS, let text {
                let value = String(cString: text)
                if !value.isEmpty && value != "(unknown error code)" { diagnostic = value }
                ldap_memfree(text)
            }
        }
        self.init(code: code, operation: operation, diagnostic: diagnostic, detail: detail)
    }

    init(code: Int32, operation: String, diagnostic: String?, detail: String? = nil) {
        let base = String(cString: ldap_err2string(code))
        var kind = Kind.other
        switch code {
        case LDAP_CONNECT_ERROR: kind = .connectFailed
        case LDAP_SERVER_DOWN: kind = .serverDown
        case LDAP_TIMEOUT: kind = .timeout
        case LDAP_INVALID_CREDENTIALS: kind = .invalidCredentials
        case LDAP_STRONG_AUTH_REQUIRED, LDAP_CONFIDENTIALITY_REQUIRED: kind = .strongAuthRequired
        case LDAP_NO_SUCH_OBJECT: kind = .noSuchObject
        case LDAP_SIZELIMIT_EXCEEDED: kind = .sizeLimitExceeded
        case LDAP_TIMELIMIT_EXCEEDED: kind = .timeLimitExceeded
        case LDAP_ADMINLIMIT_EXCEEDED: kind = .adminLimitExceeded
        case LDAP_REFERRAL: kind = .referral
        case LDAP_UNAVAILABLE_CRITICAL_EXTENSION: kind = .pagingRejected
        case LDAP_INSUFFICIENT_ACCESS: kind = .insufficientAccess
        case LDAP_INVALID_DN_SYNTAX: kind = .invalidDN
        case LDAP_FILTER_ERROR: kind = .invalidFilter
        default: break
        }
        if kind == .connectFailed || kind == .serverDown, let diagnostic, diagnostic.localizedLowercase.contains("tls") || diagnostic.contains("certificate") {
            kind = .tlsFailed
        }
        var message = base
        if let subcode = ActiveDirectory.bindSubcode(in: diagnostic) { message += " (AD \(subcode.code): \(subcode.meaning))" }
        if let detail { message += ": " + detail }
        self.init(kind: kind, resultCode: code, operation: operation, message: message, diagnostic: diagnostic)
    }

    public var description: String {
        "\(operation) failed: \(message)" + (diagnostic.map { " — server says: \($0)" } ?? "")
    }
}

/// Active Directory's quirks that the client needs to speak plainly about.
public enum ActiveDirectory {
    /// The `data XXX` sub-code AD puts in a failed bind's diagnostic, in plain words.
    public static func bindSubcode(in diagnostic: String?) -> (code: String, meaning: String)? {
        guard let diagnostic, let range = diagnostic.range(of: "data ") else { return nil }
        let code = String(diagnostic[range.upperBound...].prefix { $0.isHexDigit })
        let meanings = [
            "525": "user not found",
            "52e": "wrong password",
            "530": "not permitted to log on at this time",
            "531": "not permitted to log on from this workstation",
            "532": "password expired",
            "533": "account disabled",
            "701": "account expired",
            "773": "user must reset password",
            "775": "account locked out",
        ]
        return meanings[code.lowercased()].map { (code.lowercased(), $0) }
    }
}
