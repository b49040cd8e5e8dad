import CLDAP
import Foundation

/// How to reach and trust a directory server.
public struct LDAPConnectionOptions: Sendable {
    /// One or more `ldap://` / `ldaps://` URIs, tried in order (failover).
    public var uris: [String]
    /// Upgrade a plain `ldap://` connection with StartTLS before binding.
    public var startTLS: Bool
    public var tls: TLSOptions
    /// Allows a simple bind over a connection that is not encrypted. Off by default: a password
    /// must not cross the network in clear.
    public var allowInsecureBind: Bool
    public var networkTimeout: Double
    public var operationTimeout: Double
    /// Alias dereferencing, set on the handle so that no host file (`/etc/ldap/ldap.conf`,
    /// `$LDAPDEREF`) changes what a pull returns. Never, by default: an alias is not a person.
    public var derefAliases: AliasDereferencing
    /// Asked during every blocking call: true stops it within a fraction of a second (SIGTERM).
    public var isCancelled: (@Sendable () -> Bool)?

    public init(
        uris: [String], startTLS: Bool = false, tls: TLSOptions = TLSOptions(), allowInsecureBind: Bool = false,
        networkTimeout: Double = 10, operationTimeout: Double = 120, derefAliases: AliasDereferencing = .never
    ) {
        self.uris = uris
        self.startTLS = startTLS
        self.tls = tls
        self.allowInsecureBind = allowInsecureBind
        self.networkTimeout = networkTimeout
        self.operationTimeout = operationTimeout
        self.derefAliases = derefAliases
    }

    /// True when every URI encrypts from the start (`ldaps://`) or is a local socket (`ldapi://`).
    var alwaysEncrypted: Bool {
        uris.allSatisfy { $0.lowercased().hasPrefix("ldaps://") || $0.lowercased().hasPrefix("ldapi://") }
    }
}

/// When the server follows alias entries (RFC 4512 `aliasedObjectName`) during a search.
public enum AliasDereferencing: String, Sendable, CaseIterable {
    case never, searching, finding, always

    var value: Int32 {
        switch self {
        case .never: LDAP_DEREF_NEVER
        case .searching: LDAP_DEREF_SEARCHING
        case .finding: LDAP_DEREF_FINDING
        case .always: LDAP_DEREF_ALWAYS
        }
    }
}

/// What a search does with a continuation reference (a part of the tree held elsewhere).
public enum ReferenceHandling {
    /// Fail the search: a pull that skipped part of the tree is incomplete.
    case fail
    /// Hand the reference's URLs to the closure; it throws to fail, or returns to go on.
    case decide((_ urls: [String]) throws -> Void)
}

/// TLS trust settings. Certificates are verified unless `verifyCertificate` is explicitly false.
public struct TLSOptions: Sendable {
    public var caFile: String?
    public var caDirectory: String?
    public var certificateFile: String?
    public var keyFile: String?
    public var verifyCertificate: Bool

    public init(caFile: String? = nil, caDirectory: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, verifyCertificate: Bool = true) {
        self.caFile = caFile
        self.caDirectory = caDirectory
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.verifyCertificate = verifyCertificate
    }
}

extension TLSOptions {
    /// Why a TLS file or folder cannot be used ("does not exist", "cannot be read by this user"), or nil.
    public static func fileProblem(_ path: String) -> String? {
        if path.contains("\0") { return "contains a NUL byte" }
        guard access(path, F_OK) == 0 else { return "does not exist" }
        guard access(path, R_OK) == 0 else { return "cannot be read by this user" }
        return nil
    }

    /// Every TLS file of these options that cannot be used, as "source.tls.KEY: PATH PROBLEM".
    public func fileProblems() -> [String] {
        [("caFile", caFile), ("caDirectory", caDirectory), ("certFile", certificateFile), ("keyFile", keyFile)].compactMap { key, path in
            guard let path, let problem = Self.fileProblem(path) else { return nil }
            return "source.tls.\(key): \(path) \(problem)"
        }
    }
}

/// How to authenticate.
public enum LDAPBind: Sendable {
    case anonymous
    /// A DN and its password (the password comes from a file, the environment or a credential).
    case simple(dn: String, password: String)
    /// The TLS client certificate identifies the client.
    case saslExternal
}

/// How far below the base a search goes.
public enum SearchScope: Sendable {
    case base, oneLevel, subtree

    var value: Int32 {
        switch self {
        case .base: LDAP_SCOPE_BASE
        case .oneLevel: LDAP_SCOPE_ONELEVEL
        case .subtree: LDAP_SCOPE_SUBTREE
        }
    }
}

/// One connection to a directory server over libldap. Not thread-safe by design (`Sendable` is not
/// claimed): libldap handles must not be used from two threads at once, so the compiler keeps a
/// connection on the task that made it.
public final class LDAPConnection {
    private let handle: OpaquePointer
    public let options: LDAPConnectionOptions
    private var tlsStarted = false

    /// Prepares a handle for the URIs with the timeouts and TLS settings; connects lazily, on the
    /// first operation (or `connect()`), trying each URI in turn.
    public init(_ options: LDAPConnectionOptions) throws(LDAPError) {
        self.options = options
        guard !options.uris.isEmpty else {
            throw LDAPError(kind: .connectFailed, operation: "connect", message: "no server URI given")
        }
        // libldap splits a URI string on commas and spaces: one string must be one URI, or a
        // failover to an unchecked plain URI could carry the password in clear.
        if let joined = options.uris.first(where: { $0.contains(",") || $0.contains(" ") || $0.contains("\t") }) {
            throw LDAPError(kind: .connectFailed, operation: "connect", message: "'\(joined)' holds more than one URI; give each URI as its own list item")
        }
        var pointer: OpaquePointer?
        let code = ldap_initialize(&pointer, options.uris.joined(separator: " "))
        guard code == LDAP_SUCCESS, let pointer else {
            throw LDAPError(code: code, operation: "connect", diagnostic: nil, detail: "bad URI list '\(options.uris.joined(separator: " "))'")
        }
        handle = pointer
        // If configure() throws, deinit still runs (every stored property is set) and unbinds the
        // handle once; unbinding here too would free it twice.
        try configure()
    }

    deinit {
        ldap_unbind_ext_s(handle, nil, nil)
    }

    private func configure() throws(LDAPError) {
        var version = LDAP_VERSION3
        try set(LDAP_OPT_PROTOCOL_VERSION, &version, "protocol version")
        try set(LDAP_OPT_REFERRALS, cldap_opt_off(), "referral chasing")
        var network = timeval(options.networkTimeout)
        try set(LDAP_OPT_NETWORK_TIMEOUT, &network, "network timeout")
        var operation = timeval(options.operationTimeout)
        try set(LDAP_OPT_TIMEOUT, &operation, "operation timeout")
        let tls = options.tls
        for (path, what) in [(tls.caFile, "CA file"), (tls.certificateFile, "client certificate"), (tls.keyFile, "client key"), (tls.caDirectory, "CA directory")] {
            guard let path else { continue }
            if let problem = TLSOptions.fileProblem(path) {
                throw LDAPError(kind: .tlsFailed, operation: "configure", message: "the TLS \(what) \(path) \(problem)")
            }
        }
        if let caFile = tls.caFile { try setString(LDAP_OPT_X_TLS_CACERTFILE, caFile, "TLS CA file") }
        if let caDirectory = tls.caDirectory { try setString(LDAP_OPT_X_TLS_CACERTDIR, caDirectory, "TLS CA directory") }
        if let certificate = tls.certificateFile { try setString(LDAP_OPT_X_TLS_CERTFILE, certificate, "TLS client certificate") }
        if let key = tls.keyFile { try setString(LDAP_OPT_X_TLS_KEYFILE, key, "TLS client key") }
        var require = tls.verifyCertificate ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
        try set(LDAP_OPT_X_TLS_REQUIRE_CERT, &require, "TLS certificate checking")
        var deref = options.derefAliases.value
        try set(LDAP_OPT_DEREF, &deref, "alias dereferencing")
        var newContext: Int32 = 0
        try set(LDAP_OPT_X_TLS_NEWCTX, &newContext, "TLS context")
    }

    private func set(_ option: Int32, _ value: UnsafeRawPointer?, _ what: String) throws(LDAPError) {
        let code = ldap_set_option(handle, option, value)
        guard code == LDAP_OPT_SUCCESS else {
            throw LDAPError(kind: .other, resultCode: code, operation: "configure", message: "cannot set the \(what)")
        }
    }

    private func setString(_ option: Int32, _ value: String, _ what: String) throws(LDAPError) {
        let code = value.withCString { ldap_set_option(handle, option, $0) }
        guard code == LDAP_OPT_SUCCESS else {
            throw LDAPError(kind: .tlsFailed, resultCode: code, operation: "configure", message: "cannot use the \(what) '\(value)'")
        }
    }

    /// Opens the connection now (otherwise the first operation does), then StartTLS if configured.
    public func connect() throws(LDAPError) {
        // TCP connects are bounded by the network timeout; the TLS handshake after them is not,
        // so the watchdog bounds the whole of it.
        let budget = options.networkTimeout * Double(max(1, options.uris.count)) + 1
        let dog = Watchdog(handle: handle, seconds: budget, isCancelled: options.isCancelled)
        let code = ldap_connect(handle)
        try check(dog.stop(), operation: "connect to \(options.uris.joined(separator: ", "))", seconds: budget, what: "the connection (TCP and TLS handshake)")
        guard code == LDAP_SUCCESS else {
            var error = LDAPError(code: code, operation: "connect to \(options.uris.joined(separator: ", "))", handle: handle)
            // libldap reports a failed TLS handshake as "can't contact"; if the port answers, say what it was.
            if error.kind == .serverDown || error.kind == .connectFailed,
                let tlsURI = options.uris.first(where: { $0.lowercased().hasPrefix("ldaps://") }), Self.portAnswers(tlsURI)
            {
                error.kind = .tlsFailed
                error.message = tlsFailure(at: tlsURI)
            } else if error.kind == .serverDown, let plain = options.uris.first(where: { !$0.lowercased().hasPrefix("ldaps://") }), Self.portAnswers(plain) {
                error.message = "connection closed by the server at \(plain): it accepted the connection and hung up. Is it an LDAP server, and does it want TLS (ldaps://)?"
            }
            throw error
        }
        if options.startTLS && !tlsStarted {
            let dog = Watchdog(handle: handle, seconds: options.networkTimeout + options.operationTimeout, isCancelled: options.isCancelled)
            let code = ldap_start_tls_s(handle, nil, nil)
            try check(dog.stop(), operation: "StartTLS", seconds: options.networkTimeout + options.operationTimeout, what: "StartTLS and its handshake")
            guard code == LDAP_SUCCESS else {
                var error = LDAPError(code: code, operation: "StartTLS", handle: handle)
                if error.kind == .connectFailed || error.kind == .serverDown || code == LDAP_PROTOCOL_ERROR {
                    error.kind = .tlsFailed
                    error.message = tlsFailure(at: options.uris.joined(separator: ", "))
                }
                throw error
            }
            tlsStarted = true
        }
        // A large search is a stream of small messages: libldap reads each one's tag, length and
        // body with a read(2) apiece, and polls between them (3 system calls an entry, a fifth of
        // a million-user pull's time). Through a 64 KiB buffer they cost one read per 64 KiB.
        _ = cldap_add_read_ahead(handle, 65_536)
    }

    /// Throws when a watchdog ended the call: a timeout naming what did not finish, or a cancellation.
    private func check(_ outcome: Watchdog.Outcome, operation: String, seconds: Double, what: String) throws(LDAPError) {
        switch outcome {
        case .none: return
        case .deadline:
            throw LDAPError(kind: .timeout, resultCode: LDAP_TIMEOUT, operation: operation, message: "\(what) did not finish within \(Int(seconds)) s; the server accepted the connection but stopped answering")
        case .cancelled:
            throw LDAPError(kind: .cancelled, operation: operation, message: "stopped on request (SIGTERM or SIGINT) while waiting for the server")
        }
    }

    private func tlsFailure(at uri: String) -> String {
        let trust = options.tls.caFile.map { "the CA file \($0)" } ?? options.tls.caDirectory.map { "the CA directory \($0)" } ?? "the system's trusted CAs"
        let firstURI = uri.split(separator: ",").first.map { String($0).trimmingSpaces() } ?? uri
        let presented = Self.presentedCertificate(uri: firstURI, startTLS: options.startTLS, networkTimeout: options.networkTimeout)
            .map { " The server presented \($0)." } ?? ""
        return "the TLS handshake with \(uri) failed: the server's certificate could not be verified with \(trust) (wrong or missing CA, a name that does not match the URI, or an expired certificate).\(presented) Set tls.caFile to the CA that signed it"
    }

    /// Whether a TCP connection to the URI's host and port succeeds within 3 s.
    static func portAnswers(_ uri: String) -> Bool {
        var description: UnsafeMutablePointer<LDAPURLDesc>?
        guard ldap_url_parse(uri, &description) == LDAP_URL_SUCCESS, let description else { return false }
        defer { ldap_free_urldesc(description) }
        let host = description.pointee.lud_host.map { String(cString: $0) } ?? "localhost"
        let port = description.pointee.lud_port != 0 ? description.pointee.lud_port : (uri.lowercased().hasPrefix("ldaps") ? 636 : 389)
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let list else { return false }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            let fd = socket(current.pointee.ai_family, current.pointee.ai_socktype, current.pointee.ai_protocol)
            if fd >= 0 {
                var timeout = timeval(tv_sec: 3, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let connected = Glibc.connect(fd, current.pointee.ai_addr, current.pointee.ai_addrlen) == 0
                close(fd)
                if connected { return true }
            }
            entry = current.pointee.ai_next
        }
        return false
    }

    /// The negotiated TLS protocol and cipher, when the session is encrypted with TLS.
    public var tlsSession: (version: String, cipher: String)? {
        func text(_ option: Int32) -> String? {
            var pointer: UnsafeMutablePointer<CChar>?
            guard ldap_get_option(handle, option, &pointer) == LDAP_OPT_SUCCESS, let pointer else { return nil }
            defer { ldap_memfree(pointer) }
            return String(cString: pointer)
        }
        guard let version = text(LDAP_OPT_X_TLS_VERSION) else { return nil }
        return (version, text(LDAP_OPT_X_TLS_CIPHER) ?? "?")
    }

    /// The server's certificate, when the session is encrypted with TLS.
    public var peerCertificate: CertificateSummary? {
        var der = berval(bv_len: 0, bv_val: nil)
        guard ldap_get_option(handle, LDAP_OPT_X_TLS_PEERCERT, &der) == LDAP_OPT_SUCCESS, let pointer = der.bv_val else { return nil }
        defer { ber_memfree(pointer) }
        let bytes = Array(UnsafeRawBufferPointer(start: pointer, count: Int(der.bv_len)))
        return CertificateSummary(der: bytes)
    }

    /// The certificate a server presents, read over a connection that does not verify it — only
    /// to tell an administrator what failed verification. Nothing is sent but the handshake.
    static func presentedCertificate(uri: String, startTLS: Bool, networkTimeout: Double) -> CertificateSummary? {
        var tls = TLSOptions()
        tls.verifyCertificate = false
        guard let probe = try? LDAPConnection(LDAPConnectionOptions(uris: [uri], startTLS: startTLS, tls: tls, networkTimeout: networkTimeout)),
            (try? probe.connect()) != nil
        else { return nil }
        return probe.peerCertificate
    }

    /// Whether the live session is encrypted: a TLS session is up (ldaps or StartTLS), or the
    /// connection is a local socket. Decided from the connection, never from the config text, so a
    /// failover from ldaps:// to a plain URI is seen for what it is.
    public var isEncrypted: Bool {
        if tlsSession != nil { return true }
        var fd: Int32 = -1
        guard ldap_get_option(handle, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS, fd >= 0 else { return false }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let family = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 ? Int32($0.pointee.sa_family) : -1 }
        }
        return family == AF_UNIX
    }

    /// Authenticates. A simple bind with a password over an unencrypted connection is refused
    /// unless `allowInsecureBind` is set.
    public func bind(_ bind: LDAPBind) throws(LDAPError) {
        try connect()
        var serverCredentials: UnsafeMutablePointer<berval>?
        defer { if let serverCredentials { ber_bvfree(serverCredentials) } }
        let code: Int32
        let dog = Watchdog(handle: handle, seconds: options.operationTimeout + 1, isCancelled: options.isCancelled)
        defer { _ = dog.stop() }
        switch bind {
        case .anonymous:
            var empty = berval(bv_len: 0, bv_val: nil)
            code = ldap_sasl_bind_s(handle, nil, cldap_sasl_simple(), &empty, nil, nil, &serverCredentials)
        case .simple(let dn, let password):
            guard isEncrypted || options.allowInsecureBind else {
                throw LDAPError(
                    kind: .insecureBindRefused, operation: "bind as \(dn)",
                    message: "refusing to send a password over an unencrypted connection; use ldaps://, set startTLS: true, or (for a lab only) allow insecure binds explicitly")
            }
            code = password.withCString { pointer in
                var credential = berval(bv_len: ber_len_t(strlen(pointer)), bv_val: UnsafeMutablePointer(mutating: pointer))
                return ldap_sasl_bind_s(handle, dn, cldap_sasl_simple(), &credential, nil, nil, &serverCredentials)
            }
        case .saslExternal:
            // The identity is the TLS client certificate (RFC 4422 EXTERNAL). Servers backed by
            // Cyrus SASL answer the first step with an empty challenge: answer with an empty step.
            var step = ldap_sasl_bind_s(handle, nil, "EXTERNAL", nil, nil, nil, &serverCredentials)
            var rounds = 1
            while step == LDAP_SASL_BIND_IN_PROGRESS && rounds < 3 {
                if let credentials = serverCredentials {
                    ber_bvfree(credentials)
                    serverCredentials = nil
                }
                // A zero-length response, not an absent one (a nil pointer would be sent as "none").
                step = "".withCString { pointer in
                    var empty = berval(bv_len: 0, bv_val: UnsafeMutablePointer(mutating: pointer))
                    return ldap_sasl_bind_s(handle, nil, "EXTERNAL", &empty, nil, nil, &serverCredentials)
                }
                rounds += 1
            }
            code = step
        }
        try check(dog.stop(), operation: "bind", seconds: options.operationTimeout + 1, what: "the bind")
        guard code == LDAP_SUCCESS else {
            let who: String
            switch bind {
            case .anonymous: who = "anonymously"
            case .simple(let dn, _): who = "as \(dn)"
            case .saslExternal: who = "with SASL EXTERNAL"
            }
            var error = LDAPError(code: code, operation: "bind \(who)", handle: handle)
            if error.kind == .serverDown {
                error.message = "connection closed by the server during the bind: it accepted the connection, then hung up. Is it an LDAP server, and does it want TLS (ldaps://)?"
            }
            throw error
        }
    }

    /// Searches with the paged results control (RFC 2696) and hands each entry to `body` as it
    /// arrives, page by page. The search is complete or it throws: a size or time limit, a
    /// referral, a dropped connection or a rejected cookie is an error, never a short result.
    /// Returns the number of entries.
    @discardableResult
    public func search(
        base: String, scope: SearchScope = .subtree, filter: String = "(objectClass=*)", attributes: [String]? = nil,
        pageSize: Int = 500, followRanges: Bool = true, manageDsaIT: Bool = false, references: ReferenceHandling = .fail,
        body: (LDAPEntry) throws -> Void
    ) throws -> Int {
        try connect()
        let attributeList = CStringArray(attributes)
        var cookie = berval(bv_len: 0, bv_val: nil)
        defer { if cookie.bv_val != nil { ber_memfree(cookie.bv_val) } }
        var total = 0
        var page = 0
        // The last entry's attribute names, which the next entry most likely repeats (`read`).
        var previousNames: [String] = []
        var rangedNames = false
        repeat {
            page += 1
            var control: UnsafeMutablePointer<LDAPControl>?
            var code = ldap_create_page_control(handle, ber_int_t(clamping: max(1, pageSize)), &cookie, 1, &control)
            guard code == LDAP_SUCCESS, let control else { throw LDAPError(code: code, operation: "search \(base)", handle: handle, detail: "cannot build the paged results control") }
            defer { ldap_control_free(control) }
            // ManageDsaIT (RFC 3296): referral objects come back as plain entries, not as references.
            let manage = UnsafeMutablePointer<LDAPControl>.allocate(capacity: 1)
            manage.initialize(to: LDAPControl(ldctl_oid: strdup(LDAP_CONTROL_MANAGEDSAIT), ldctl_value: berval(bv_len: 0, bv_val: nil), ldctl_iscritical: 0))
            defer {
                free(manage.pointee.ldctl_oid)
                manage.deallocate()
            }
            var controls: [UnsafeMutablePointer<LDAPControl>?] = manageDsaIT ? [control, manage, nil] : [control, nil]
            var timeout = timeval(options.operationTimeout)
            var messageId: Int32 = 0
            code = controls.withUnsafeMutableBufferPointer { controlBuffer in
                ldap_search_ext(handle, base, scope.value, filter, attributeList.pointer, 0, controlBuffer.baseAddress, nil, &timeout, 0, &messageId)
            }
            guard code == LDAP_SUCCESS else {
                throw LDAPError(code: code, operation: "search \(base) (page \(page), \(total) entries so far)", handle: handle)
            }
            // Entries are handed over as they arrive, so parsing overlaps with the server sending.
            var finished = false
            var waited = 0.0
            while !finished {
                var message: OpaquePointer?
                // Short waits, so a stop request (SIGTERM) is heard within a quarter of a second.
                var wait = timeval(0.25)
                let type = ldap_result(handle, messageId, LDAP_MSG_ONE, &wait, &message)
                if type == 0 {
                    waited += 0.25
                    if options.isCancelled?() == true {
                        ldap_abandon_ext(handle, messageId, nil, nil)
                        throw LDAPError(kind: .cancelled, operation: "search \(base)", message: "stopped on request (SIGTERM or SIGINT) during the search (page \(page), \(total) entries so far)")
                    }
                    if waited < options.operationTimeout { continue }
                } else {
                    waited = 0
                }
                defer { if let message { ldap_msgfree(message) } }
                switch type {
                case 0x64:  // LDAP_RES_SEARCH_ENTRY
                    guard let message, let entry = ldap_first_entry(handle, message) else { continue }
                    do {
                        var value = read(entry, namesLike: previousNames)
                        // Names shared with the last entry's (the usual case) were checked for ranges then.
                        if value.names != previousNames {
                            previousNames = value.names
                            rangedNames = value.names.contains { AttributeRange($0) != nil }
                        }
                        if followRanges && rangedNames { try completeRanges(&value) }
                        try body(value)
                    } catch {
                        ldap_abandon_ext(handle, messageId, nil, nil)
                        throw error
                    }
                    total += 1
                case 0x73:  // LDAP_RES_SEARCH_REFERENCE
                    let urls = message.map { self.references(in: $0) } ?? []
                    do {
                        guard case .decide(let decide) = references else {
                            throw LDAPError(kind: .referral, resultCode: LDAP_REFERRAL, operation: "search \(base)", message: "the server referred part of the tree to another server (\(urls.joined(separator: ", "))), which is not followed; the pull is incomplete. Narrow the base DN or point at a server that holds the whole tree")
                        }
                        try decide(urls)
                    } catch {
                        ldap_abandon_ext(handle, messageId, nil, nil)
                        throw error
                    }
                case 0x65:  // LDAP_RES_SEARCH_RESULT
                    guard let message else { continue }
                    try nextCookie(from: message, into: &cookie, base: base, page: page, total: total)
                    finished = true
                case 0:
                    ldap_abandon_ext(handle, messageId, nil, nil)
                    throw LDAPError(kind: .timeout, resultCode: LDAP_TIMEOUT, operation: "search \(base)", message: "no answer within \(timeval(options.operationTimeout).tv_sec) s (page \(page), \(total) entries so far); the pull is incomplete")
                case -1:
                    var result: Int32 = LDAP_SERVER_DOWN
                    ldap_get_option(handle, LDAP_OPT_RESULT_CODE, &result)
                    throw LDAPError(code: result, operation: "search \(base) (page \(page), \(total) entries so far)", handle: handle, detail: "the connection failed mid-search; the pull is incomplete")
                default:
                    continue
                }
            }
        } while cookie.bv_len > 0
        return total
    }

    /// Every entry of a search, paged, in one array.
    public func searchAll(
        base: String, scope: SearchScope = .subtree, filter: String = "(objectClass=*)", attributes: [String]? = nil, pageSize: Int = 500,
        followRanges: Bool = true
    ) throws -> [LDAPEntry] {
        var entries: [LDAPEntry] = []
        try search(base: base, scope: scope, filter: filter, attributes: attributes, pageSize: pageSize, followRanges: followRanges) { entries.append($0) }
        return entries
    }

    /// The root DSE: vendor, naming contexts, supported controls.
    public func rootDSE() throws -> LDAPEntry {
        try connect()
        let attributes = CStringArray(["*", "+"])
        var timeout = timeval(options.operationTimeout)
        var result: OpaquePointer?
        let dog = Watchdog(handle: handle, seconds: options.operationTimeout + 1, isCancelled: options.isCancelled)
        let code = ldap_search_ext_s(handle, "", LDAP_SCOPE_BASE, "(objectClass=*)", attributes.pointer, 0, nil, nil, &timeout, 0, &result)
        try check(dog.stop(), operation: "read the root DSE", seconds: options.operationTimeout + 1, what: "reading the root DSE")
        defer { if let result { ldap_msgfree(result) } }
        guard code == LDAP_SUCCESS, let result, let entry = ldap_first_entry(handle, result) else {
            throw LDAPError(code: code == LDAP_SUCCESS ? LDAP_NO_SUCH_OBJECT : code, operation: "read the root DSE", handle: handle)
        }
        return read(entry)
    }

    private func nextCookie(from result: OpaquePointer, into cookie: inout berval, base: String, page: Int, total: Int) throws(LDAPError) {
        var code: Int32 = 0
        var serverControls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
        var diagnostic: UnsafeMutablePointer<CChar>?
        let parsed = ldap_parse_result(handle, result, &code, nil, &diagnostic, nil, &serverControls, 0)
        defer {
            if let serverControls { ldap_controls_free(serverControls) }
            if let diagnostic { ldap_memfree(diagnostic) }
        }
        guard parsed == LDAP_SUCCESS else { throw LDAPError(code: parsed, operation: "search \(base)", handle: handle) }
        guard code == LDAP_SUCCESS else {
            let text = diagnostic.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
            throw LDAPError(
                code: code, operation: "search \(base) (page \(page), \(total) entries so far)", diagnostic: text,
                detail: code == LDAP_SIZELIMIT_EXCEEDED ? "the server stopped at its size limit for this bind; the pull is incomplete" : "the pull is incomplete")
        }
        if cookie.bv_val != nil {
            ber_memfree(cookie.bv_val)
            cookie = berval(bv_len: 0, bv_val: nil)
        }
        guard let response = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, serverControls, nil) else {
            throw LDAPError(kind: .pagingRejected, resultCode: 0, operation: "search \(base)", message: "the server did not answer the paged results control; the pull cannot be known to be complete")
        }
        var estimate: ber_int_t = 0
        let code2 = ldap_parse_pageresponse_control(handle, response, &estimate, &cookie)
        guard code2 == LDAP_SUCCESS else { throw LDAPError(code: code2, operation: "search \(base)", handle: handle, detail: "bad paged results response") }
    }

    private func references(in result: OpaquePointer) -> [String] {
        var urls: [String] = []
        var reference = ldap_first_reference(handle, result)
        while let current = reference {
            var referrals: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
            if ldap_parse_reference(handle, current, &referrals, nil, 0) == LDAP_SUCCESS, let referrals {
                var index = 0
                while let url = referrals[index] {
                    urls.append(String(cString: url))
                    index += 1
                }
                ber_memvfree(UnsafeMutablePointer<UnsafeMutableRawPointer?>(OpaquePointer(referrals)))
            }
            reference = ldap_next_reference(handle, current)
        }
        return urls
    }

    /// Reads an entry straight from its BER encoding, attribute by attribute as the server sent
    /// them. Names and values are read in place and copied once, into the entry: nothing is
    /// allocated for each attribute (`ldap_get_attribute_ber` allocates an array for each). An
    /// attribute the server sends in two places (slapadd keeps interleaved lines that way) is
    /// merged into one with every value (`LDAPEntry.attributeIndex`).
    private func read(_ message: OpaquePointer, namesLike earlier: [String] = []) -> LDAPEntry {
        var ber: OpaquePointer?
        var dnValue = berval(bv_len: 0, bv_val: nil)
        guard ldap_get_dn_ber(handle, message, &ber, &dnValue) == LDAP_SUCCESS, let ber else {
            if let ber { ber_free(ber, 0) }
            return LDAPEntry(dn: "")
        }
        defer { ber_free(ber, 0) }
        var entry = LDAPEntry(dn: Self.text(dnValue))
        entry.startNames(from: earlier)
        var confirmed = 0
        var length: ber_len_t = 0
        // PartialAttributeList ::= SEQUENCE OF SEQUENCE { type, vals SET OF value }; the element
        // holds only the list's bytes (ldap_get_dn_ber limits it), so the end is "no next tag".
        while ber_peek_tag(ber, &length) != Self.berDefault, ber_skip_tag(ber, &length) != Self.berDefault {
            var name = berval(bv_len: 0, bv_val: nil)
            guard ber_get_stringbv(ber, &name, LBER_BV_NOTERM) != Self.berDefault, name.bv_val != nil else { break }
            let attribute = entry.attributeIndex(UnsafeRawBufferPointer(start: name.bv_val, count: Int(name.bv_len)), confirmed: &confirmed)
            var last: UnsafeMutablePointer<CChar>?
            var tag = ber_first_element(ber, &length, &last)
            while tag != Self.berDefault, let end = last {
                var value = berval(bv_len: 0, bv_val: nil)
                guard ber_get_stringbv(ber, &value, LBER_BV_NOTERM) != Self.berDefault else {
                    entry.finishNames(confirmed: confirmed)
                    return entry
                }
                entry.append(UnsafeRawBufferPointer(start: value.bv_val, count: Int(value.bv_len)), to: attribute)
                tag = ber_next_element(ber, &length, end)
            }
        }
        entry.finishNames(confirmed: confirmed)
        return entry
    }

    /// liblber's LBER_DEFAULT, `(ber_tag_t) -1`: "no element" (Swift cannot import the cast).
    private static let berDefault = ber_tag_t.max

    /// A BER string (a DN, an attribute name) as text.
    private static func text(_ value: berval) -> String {
        guard let bytes = value.bv_val else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: Int(value.bv_len)), as: UTF8.self)
    }
}

/// A NULL-terminated `char **` that lives as long as this value (nil for "all attributes").
private final class CStringArray {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    private let count: Int

    init(_ strings: [String]?) {
        guard let strings else {
            pointer = nil
            count = 0
            return
        }
        count = strings.count + 1
        let buffer = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: count)
        for (index, string) in strings.enumerated() { buffer[index] = strdup(string) }
        buffer[strings.count] = nil
        pointer = buffer
    }

    deinit {
        guard let pointer else { return }
        for index in 0..<count { free(pointer[index]) }
        pointer.deallocate()
    }
}

extension timeval {
    init(_ seconds: Double) {
        // Clamped to a day: no timeout value, however large or odd, traps the conversion.
        let bounded = seconds.isFinite ? min(max(seconds, 0), 86_400) : 86_400
        self.init(tv_sec: Int(bounded), tv_usec: Int((bounded - Double(Int(bounded))) * 1_000_000))
    }
}
