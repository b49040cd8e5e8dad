import DirectoryConnector
import LDAPClient
import Yams

/// Reads and validates the `source:` section into `DirectorySettings`; the profile fills in
/// everything not given.
enum SourceReader {
    static func read(_ node: Node, reader: inout NodeReader) -> DirectorySettings? {
        let keys = reader.mapping(node, path: "source", keys: [
            "kind", "profile", "uri", "startTLS", "allowInsecureBind", "tls", "bind", "pageSize", "timeouts", "users", "groups",
            "derefAliases", "referrals",
        ])
        let problemsBefore = reader.problems.count
        if let kind = reader.string(keys["kind"], path: "source.kind"), kind != "ldap" {
            reader.problem("source.kind", keys["kind"]?.mark?.line, "'\(kind)' is not a known source; the only kind is ldap")
        }
        let profile = reader.choice(keys["profile"], path: "source.profile", of: DirectoryProfile.self) ?? .openldap

        var uris: [String] = []
        if let node = keys["uri"] {
            if case .sequence = node {
                for (index, item) in (reader.sequence(node, path: "source.uri") ?? []).enumerated() {
                    if let uri = reader.string(item, path: "source.uri[\(index)]", nonEmpty: true) { uris.append(uri) }
                }
            } else if let uri = reader.string(node, path: "source.uri", nonEmpty: true) {
                uris.append(uri)
            }
        } else {
            reader.problem("source.uri", node.mark?.line, "missing: the directory server, e.g. ldaps://dc1.example.com (a list is tried in order)")
        }
        for (index, uri) in uris.enumerated() {
            let lower = uri.lowercased()
            if uri.contains(",") || uri.contains(where: \.isWhitespace) {
                reader.problem(uris.count == 1 ? "source.uri" : "source.uri[\(index)]", keys["uri"]?.mark?.line, "'\(uri)' holds more than one URI (libldap splits on commas and spaces, and would fail over to each unchecked); list each URI as its own item: uri: [ \"ldaps://dc1\", \"ldaps://dc2\" ]")
                continue
            }
            if !(lower.hasPrefix("ldap://") || lower.hasPrefix("ldaps://") || lower.hasPrefix("ldapi://")) {
                reader.problem(uris.count == 1 ? "source.uri" : "source.uri[\(index)]", keys["uri"]?.mark?.line, "'\(uri)' is not an ldap://, ldaps:// or ldapi:// URI")
            }
        }
        var connection = LDAPConnectionOptions(uris: uris)
        connection.startTLS = reader.bool(keys["startTLS"], path: "source.startTLS") ?? false
        connection.allowInsecureBind = reader.bool(keys["allowInsecureBind"], path: "source.allowInsecureBind") ?? false
        if let node = keys["tls"] {
            let tls = reader.mapping(node, path: "source.tls", keys: ["caFile", "caDirectory", "certFile", "keyFile", "requireCert"])
            connection.tls.caFile = reader.string(tls["caFile"], path: "source.tls.caFile", nonEmpty: true)
            connection.tls.caDirectory = reader.string(tls["caDirectory"], path: "source.tls.caDirectory", nonEmpty: true)
            connection.tls.certificateFile = reader.string(tls["certFile"], path: "source.tls.certFile", nonEmpty: true)
            connection.tls.keyFile = reader.string(tls["keyFile"], path: "source.tls.keyFile", nonEmpty: true)
            connection.tls.verifyCertificate = reader.bool(tls["requireCert"], path: "source.tls.requireCert") ?? true
        }
        if let node = keys["timeouts"] {
            let timeouts = reader.mapping(node, path: "source.timeouts", keys: ["network", "operation"])
            if let value = reader.count(timeouts["network"], path: "source.timeouts.network", minimum: 1, maximum: 600) { connection.networkTimeout = Double(value) }
            if let value = reader.count(timeouts["operation"], path: "source.timeouts.operation", minimum: 1, maximum: 86_400) { connection.operationTimeout = Double(value) }
        }

        if let value = reader.choice(keys["derefAliases"], path: "source.derefAliases", of: AliasDereferencing.self) {
            connection.derefAliases = value
        }
        let referrals = reader.choice(keys["referrals"], path: "source.referrals", of: ReferralPolicy.self) ?? .fail
        var bindDN: String?
        var password: SecretSource?
        var saslExternal = false
        if let node = keys["bind"] {
            let bind = reader.mapping(node, path: "source.bind", keys: ["dn", "passwordFile", "passwordEnv", "credential", "mechanism"])
            bindDN = reader.bindName(bind["dn"], path: "source.bind.dn", profile: profile)
            var sources: [SecretSource] = []
            if let file = reader.string(bind["passwordFile"], path: "source.bind.passwordFile", nonEmpty: true) { sources.append(.file(file)) }
            if let name = reader.string(bind["passwordEnv"], path: "source.bind.passwordEnv", nonEmpty: true) { sources.append(.environment(name)) }
            if let name = reader.string(bind["credential"], path: "source.bind.credential", nonEmpty: true) { sources.append(.credential(name)) }
            if let mechanism = reader.string(bind["mechanism"], path: "source.bind.mechanism") {
                if mechanism.lowercased() == "external" { saslExternal = true } else if mechanism.lowercased() != "simple" {
                    reader.problem("source.bind.mechanism", bind["mechanism"]?.mark?.line, "'\(mechanism)' is not one of simple, external")
                }
            }
            if sources.count > 1 {
                reader.problem("source.bind", node.mark?.line, "give one of passwordFile, passwordEnv, credential, not several")
            }
            password = sources.first
            if let source = password, let problem = SecretSourceCheck.problem(source) {
                reader.problem("source.bind", node.mark?.line, problem)
            }
            if bindDN != nil && password == nil && !saslExternal {
                reader.problem("source.bind", node.mark?.line, "a bind dn needs its password from passwordFile, passwordEnv or credential (never in this file or on the command line)")
            }
        }
        var pageSize = 500
        if let value = reader.count(keys["pageSize"], path: "source.pageSize", minimum: 1, maximum: 100_000) { pageSize = value }

        guard let usersNode = keys["users"] else {
            reader.problem("source.users", node.mark?.line, "missing: at least source.users.base, the DN under which people are")
            return nil
        }
        let users = readUsers(usersNode, profile: profile, reader: &reader)
        let groups = readGroups(keys["groups"], profile: profile, usersBase: users?.base ?? "", reader: &reader)
        guard reader.problems.count == problemsBefore, let users, let groups else { return nil }
        return DirectorySettings(
            profile: profile, connection: connection, bindDN: bindDN, password: password, saslExternal: saslExternal,
            pageSize: pageSize, users: users, groups: groups, referrals: referrals)
    }

    private static func readUsers(_ node: Node, profile: DirectoryProfile, reader: inout NodeReader) -> UserSearch? {
        let keys = reader.mapping(node, path: "source.users", keys: ["base", "filter", "scope", "disabledFilter", "map", "accountType"])
        guard let base = reader.dn(keys["base"], path: "source.users.base") else {
            if keys["base"] == nil { reader.problem("source.users.base", node.mark?.line, "missing: the DN under which people are, e.g. ou=People,dc=example,dc=com") }
            return nil
        }
        var users = profile.defaultUsers(base: base)
        if let filter = reader.filter(keys["filter"], path: "source.users.filter") { users.filter = filter }
        if let text = reader.string(keys["scope"], path: "source.users.scope") {
            switch text {
            case "sub", "subtree": users.scope = .subtree
            case "one", "onelevel": users.scope = .oneLevel
            case "base": users.scope = .base
            default: reader.problem("source.users.scope", keys["scope"]?.mark?.line, "'\(text)' is not one of sub, one, base")
            }
        }
        if let node = keys["disabledFilter"] {
            let text = reader.string(node, path: "source.users.disabledFilter") ?? ""
            users.disabledFilter = text.isEmpty ? nil : reader.filter(node, path: "source.users.disabledFilter")
        }
        if let node = keys["map"] {
            let map = reader.mapping(node, path: "source.users.map", keys: ["account", "name", "email", "mobile", "externalId"])
            let fields: [(String, WritableKeyPath<AttributeMap, String>)] = [
                ("account", \.account), ("name", \.name), ("email", \.email), ("mobile", \.mobile), ("externalId", \.externalId),
            ]
            for (name, keyPath) in fields {
                if let value = reader.string(map[name], path: "source.users.map.\(name)", nonEmpty: true) { users.map[keyPath: keyPath] = value }
            }
        }
        if let node = keys["accountType"] {
            let rules = reader.mapping(node, path: "source.users.accountType", keys: ["default", "rules"])
            if let value = reader.accountType(rules["default"], path: "source.users.accountType.default") { users.accountType.defaultType = value }
            if let list = rules["rules"].flatMap({ reader.sequence($0, path: "source.users.accountType.rules") }) {
                for (index, item) in list.enumerated() {
                    let path = "source.users.accountType.rules[\(index)]"
                    let rule = reader.mapping(item, path: path, keys: ["memberOf", "type"])
                    if let dn = reader.dn(rule["memberOf"], path: "\(path).memberOf"), let type = reader.accountType(rule["type"], path: "\(path).type") {
                        users.accountType.rules.append(.init(memberOf: dn, type: type))
                    } else if rule["memberOf"] == nil || rule["type"] == nil {
                        reader.problem(path, item.mark?.line, "a rule needs memberOf (a group DN) and type")
                    }
                }
            }
        }
        return users
    }

    private static func readGroups(_ node: Node?, profile: DirectoryProfile, usersBase: String, reader: inout NodeReader) -> GroupSearch? {
        var groups = profile.defaultGroups(base: usersBase)
        guard let node else { return groups }
        let keys = reader.mapping(node, path: "source.groups", keys: [
            "from", "base", "ouFilter", "groupFilter", "memberAttributes", "memberUidAttribute", "externalId", "placement",
        ])
        if let from = reader.choice(keys["from"], path: "source.groups.from", of: GroupSearch.Source.self) { groups.from = from }
        if let base = reader.dn(keys["base"], path: "source.groups.base") { groups.base = base }
        if let filter = reader.filter(keys["ouFilter"], path: "source.groups.ouFilter") { groups.ouFilter = filter }
        if let filter = reader.filter(keys["groupFilter"], path: "source.groups.groupFilter") { groups.groupFilter = filter }
        if let list = keys["memberAttributes"].flatMap({ reader.sequence($0, path: "source.groups.memberAttributes") }) {
            groups.memberAttributes = list.enumerated().compactMap { reader.string($1, path: "source.groups.memberAttributes[\($0)]", nonEmpty: true) }
        }
        if let node = keys["memberUidAttribute"] {
            let text = reader.string(node, path: "source.groups.memberUidAttribute") ?? ""
            groups.memberUidAttribute = text.isEmpty ? nil : text
        }
        if let value = reader.string(keys["externalId"], path: "source.groups.externalId", nonEmpty: true) { groups.externalId = value }
        if let value = reader.choice(keys["placement"], path: "source.groups.placement", of: GroupSearch.Placement.self) {
            groups.placement = value
            if value == .underOU && groups.from != .both {
                reader.problem("source.groups.placement", keys["placement"]?.mark?.line, "under-ou places group objects under the OU groups, so it needs from: both")
            }
        }
        return groups
    }
}

extension NodeReader {
    mutating func bool(_ node: Node?, path: String) -> Bool? {
        guard let node, let text = string(node, path: path) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            problem(path, node.mark?.line, "'\(text)' is not true or false")
            return nil
        }
    }

    /// A search filter, checked against RFC 4515 as the server will parse it.
    mutating func filter(_ node: Node?, path: String) -> String? {
        guard let node, let text = string(node, path: path, nonEmpty: true) else { return nil }
        if let problem = LDAPFilterSyntax.problem(text) {
            self.problem(path, node.mark?.line, problem)
            return nil
        }
        return text
    }

    /// A DN, checked against RFC 4514 so a typo is caught here, not at 2 a.m.
    mutating func dn(_ node: Node?, path: String) -> String? {
        guard let node, let text = string(node, path: path, nonEmpty: true) else { return nil }
        guard !text.trimmingSpaces().isEmpty else {
            problem(path, node.mark?.line, "is blank; a DN names an entry (e.g. ou=People,dc=example,dc=com), and the root is never a base for people")
            return nil
        }
        do {
            _ = try DistinguishedName(text)
            return text
        } catch {
            problem(path, node.mark?.line, error.description)
            return nil
        }
    }

    /// The bind name: a DN; with the active-directory profile also a user principal name
    /// (`svc-sync@corp.example.com`) or a down-level logon name (`CORP\svc-sync`), each checked for
    /// what it is.
    mutating func bindName(_ node: Node?, path: String, profile: DirectoryProfile) -> String? {
        guard let node, let text = string(node, path: path, nonEmpty: true) else { return nil }
        switch ADBindName.kind(of: text) {
        case .distinguishedName:
            return dn(node, path: path)
        case .userPrincipalName(let problem), .downLevel(let problem):
            guard profile == .activeDirectory else {
                self.problem(path, node.mark?.line, "'\(text)' is not a DN; a user principal name (user@domain) or a down-level name (DOMAIN\\user) works only with profile: active-directory")
                return nil
            }
            if let problem {
                self.problem(path, node.mark?.line, problem)
                return nil
            }
            return text
        }
    }

    mutating func accountType(_ node: Node?, path: String) -> String? {
        guard let node, let text = string(node, path: path) else { return nil }
        guard ["Regular User", "Read-Only User", "Administrator"].contains(text) else {
            problem(path, node.mark?.line, "'\(text)' is not one of Regular User, Read-Only User, Administrator")
            return nil
        }
        return text
    }
}
