import AccountSyncConfig
import DirectoryConnector
import Foundation
import LDAPClient
import SyncCore

/// The result of `test-bind`: each step an administrator needs to see, in order, with a plain
/// diagnosis and a hint where one failed.
public struct BindCheck: Sendable, Encodable {
    /// One step: what was checked, whether it worked, and what to do when it did not.
    public struct Step: Sendable, Encodable {
        public var name: String
        public var ok: Bool
        public var detail: String
        public var hint: String?
    }

    public var steps: [Step] = []
    public var userCount: Int?
    public var groupCount: Int?
    public var sampleUsers: [UserRow] = []
    public var sampleGroups: [GroupRow] = []
    public var problems: [String] = []

    public var ok: Bool { steps.allSatisfy(\.ok) }

    mutating func pass(_ name: String, _ detail: String) {
        steps.append(Step(name: name, ok: true, detail: detail, hint: nil))
    }

    mutating func fail(_ name: String, _ error: Error, uris: [String]) {
        let (detail, hint) = BindCheck.diagnose(error, uris: uris)
        steps.append(Step(name: name, ok: false, detail: detail, hint: hint))
    }

    /// Plain words and a next step for a failure.
    static func diagnose(_ error: Error, uris: [String]) -> (String, String?) {
        guard let error = error as? LDAPError else { return ("\(error)", nil) }
        switch error.kind {
        case .serverDown where error.message.hasPrefix("connection closed by the server"):
            return ("\(error)", "check that source.uri names the directory's LDAP port, with ldaps:// if it expects TLS from the start")
        case .connectFailed, .serverDown, .timeout:
            if let host = uris.lazy.compactMap(Self.unresolvableHost).first {
                return ("cannot resolve the host name '\(host)'", "check source.uri for a typo, and this machine's DNS")
            }
            return ("\(error)", "no LDAP server answered at \(uris.joined(separator: ", ")): check the host and port, that the server runs, and firewalls")
        case .tlsFailed:
            return ("\(error)", "set source.tls.caFile to the CA that signed the server's certificate; turning verification off (requireCert: false) is for a lab only")
        case .invalidCredentials:
            return ("\(error)", "check source.bind.dn and the password in the file, variable or credential the config names")
        case .insecureBindRefused:
            return ("\(error)", "use an ldaps:// URI or startTLS: true")
        case .noSuchObject:
            return ("\(error)", "the base DN does not exist on this server: check source.users.base and source.groups.base against the naming contexts above")
        case .sizeLimitExceeded, .adminLimitExceeded:
            return ("\(error)", "the bind account may read fewer entries than the directory holds: raise its size limit on the server (OpenLDAP: limits … size.prtotal; AD: MaxPageSize is per page and fine), or bind with an account without one")
        case .referral:
            return ("\(error)", "point source.uri at a server that holds the whole tree (AD: a global catalog on port 3269 holds a forest-wide partial copy)")
        case .strongAuthRequired:
            return ("\(error)", "the server wants an encrypted connection or signing: use ldaps:// or startTLS: true")
        default:
            return ("\(error)", nil)
        }
    }

    private static func unresolvableHost(_ uri: String) -> String? {
        guard let schemeEnd = uri.range(of: "://") else { return nil }
        let rest = uri[schemeEnd.upperBound...]
        let hostPort = rest.prefix { $0 != "/" }
        let host = hostPort.hasPrefix("[") ? String(hostPort.dropFirst().prefix { $0 != "]" }) : String(hostPort.prefix { $0 != ":" })
        guard !host.isEmpty else { return nil }
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, nil, nil, &list)
        if let list { freeaddrinfo(list) }
        return code == 0 ? nil : host
    }
}

extension AccountSync {
    /// The admin's one-shot check of the `source:` settings: connect, TLS, bind, root DSE, full
    /// paged counts, and the first five users and groups as they would be mapped.
    public func testBind() throws(AppError) -> BindCheck {
        guard var source = config.source else { throw AppError(.configInvalid, "\(config.file) has no source: section to test") }
        source.connection.isCancelled = { Termination.shared.requested }
        var check = BindCheck()
        let uris = source.connection.uris
        let password = try source.password.map { source throws(AppError) in try Secrets.read(source) }
        warnIfVerificationIsOff(source)
        let ldap: LDAPConnection
        do {
            ldap = try LDAPConnection(source.connection)
            try ldap.connect()
            check.pass("connect", "connected to \(uris.joined(separator: " or "))")
            if let session = ldap.tlsSession {
                let certificate = ldap.peerCertificate.map { "; server certificate \($0)" } ?? ""
                check.pass("tls", "\(session.version), \(session.cipher)\(certificate); verified \(source.connection.tls.verifyCertificate ? "with \(source.connection.tls.caFile ?? "the system's CAs")" : "— NOT verified (requireCert: false)")")
            } else {
                let local = uris.allSatisfy { $0.lowercased().hasPrefix("ldapi://") }
                check.pass("tls", local ? "a local socket (ldapi://): nothing crosses the network" : "NOT encrypted (plain ldap:// without StartTLS)")
            }
        } catch {
            check.fail("connect", error, uris: uris)
            return check
        }
        do {
            if let dn = source.bindDN {
                try ldap.bind(.simple(dn: dn, password: password ?? ""))
                check.pass("bind", "bound as \(dn)")
            } else if source.saslExternal {
                try ldap.bind(.saslExternal)
                check.pass("bind", "bound with SASL EXTERNAL (the client certificate)")
            } else {
                try ldap.bind(.anonymous)
                check.pass("bind", "bound anonymously")
            }
        } catch {
            check.fail("bind", error, uris: uris)
            return check
        }
        do {
            let root = try ldap.rootDSE()
            let vendor = root.string("vendorName").map { "\($0) \(root.string("vendorVersion") ?? "")" }
                ?? (root.strings("supportedCapabilities").contains("1.2.840.113556.1.4.800") ? "Active Directory (or Samba AD)"
                    : root.strings("objectClass").contains("OpenLDAProotDSE") ? "OpenLDAP" : "unknown vendor")
            let paged = root.strings("supportedControl").contains("1.2.840.113556.1.4.319")
            check.pass("root DSE", "\(vendor.trimmingCharacters(in: .whitespaces)); naming contexts: \(root.strings("namingContexts").joined(separator: "; ")); paged results: \(paged ? "supported" : "NOT supported")")
        } catch {
            check.fail("root DSE", error, uris: uris)
        }
        for (key, base) in [("source.users.base", source.users.base), ("source.groups.base", source.groups.base)] {
            guard let entry = try? ldap.searchAll(base: base, scope: .base, attributes: ["objectClass", "aliasedObjectName"]).first,
                entry.strings("objectClass").contains(where: { $0.lowercased() == "alias" }),
                source.connection.derefAliases == .never || source.connection.derefAliases == .searching
            else { continue }
            let target = entry.string("aliasedObjectName") ?? "?"
            check.steps.append(BindCheck.Step(
                name: "base", ok: false,
                detail: "\(key) \(base) is an alias entry pointing to \(target); with derefAliases: \(source.connection.derefAliases.rawValue) the search does not follow it, so nothing under it would be read",
                hint: "set \(key) to \(target), the entry the alias points to"))
            return check
        }
        do {
            let pulled = try DirectoryPuller(settings: source).pull(from: ldap)
            check.userCount = pulled.users.count
            check.groupCount = pulled.groups.count
            check.sampleUsers = Array(pulled.users.prefix(5))
            check.sampleGroups = Array(pulled.groups.prefix(5))
            check.problems = pulled.unresolvedMembers.sorted(by: { $0.key < $1.key }).map { "\($0.key): \($0.value) member\($0.value == 1 ? "" : "s") not found" }
                + pulled.warnings
            if let warning = emptyPullWarning(pulled) { check.problems.insert(warning, at: 0) }
            check.pass("search", "\(pulled.users.count) users under \(source.users.base) and \(pulled.groups.count) groups (\(source.groups.from.rawValue)) under \(source.groups.base), full paged count")
        } catch {
            check.fail("search", error, uris: uris)
        }
        return check
    }
}
