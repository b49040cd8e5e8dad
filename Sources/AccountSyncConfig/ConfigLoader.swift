import DirectoryConnector
import Foundation
import SyncCore
import Yams

/// Reads and validates `config.yaml`. Every problem is reported with its key path and line; unknown
/// keys are errors, because a typo must never silently switch a safeguard off.
public enum ConfigLoader {
    /// Loads the file at `path`.
    public static func load(path: String) throws(ConfigError) -> Configuration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigError(file: path, problems: [ConfigProblem(
                path: "", line: nil,
                message: exists ? "cannot be read (check its permissions)" : "no such file (give one with --config FILE or $ACCOUNT_SYNC_CONFIG)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, problems: [ConfigProblem(path: "", line: nil, message: "not valid UTF-8")])
        }
        return try parse(text, file: path)
    }

    /// Parses config text; `file` names it in messages and anchors a relative store path.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> Configuration {
        if let use = YAMLAliases.firstUse(in: text) {
            throw ConfigError(file: file, problems: [ConfigProblem(
                path: "", line: use.line,
                message: "YAML \(use.isAlias ? "aliases (*name)" : "anchors (&name)") are not supported in the config; write each value out")])
        }
        if text.utf8.contains(0) {
            throw ConfigError(file: file, problems: [ConfigProblem(path: "", line: nil, message: "the file holds a NUL byte; it is not a text file")])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, problems: [ConfigProblem(path: "", line: nil, message: "not valid YAML: \(error)")])
        } catch {
            throw ConfigError(file: file, problems: [ConfigProblem(path: "", line: nil, message: "not valid YAML: \(error)")])
        }
        var reader = NodeReader()
        let config = read(root, file: file, reader: &reader)
        if !reader.problems.isEmpty { throw ConfigError(file: file, problems: reader.problems) }
        return config
    }

    private static func read(_ root: Node?, file: String, reader: inout NodeReader) -> Configuration {
        var config = Configuration(file: file, storePath: Configuration.defaultStorePath)
        guard let root else {
            reader.problem("", nil, "the file is empty; it needs at least a sync: section")
            return config
        }
        let top = reader.mapping(root, path: "", keys: ["store", "sync", "source", "metrics", "server", "core"])
        if let core = top["core"] { config.core = readCore(core, file: file, reader: &reader) }
        if let server = top["server"] { config.server = readServer(server, file: file, reader: &reader) }
        if let metrics = top["metrics"] {
            let keys = reader.mapping(metrics, path: "metrics", keys: ["textfile"])
            if let path = reader.string(keys["textfile"], path: "metrics.textfile", nonEmpty: true) {
                config.metricsTextfile = resolve(path, relativeTo: file)
            }
        }

        if let store = top["store"] {
            let keys = reader.mapping(store, path: "store", keys: ["path"])
            if let path = reader.string(keys["path"], path: "store.path", nonEmpty: true) {
                config.storePath = resolve(path, relativeTo: file)
            }
        }

        if let syncNode = top["sync"] {
            readSync(syncNode, into: &config, reader: &reader)
        } else {
            // No sync: section: the sync settings live in the store, edited and versioned there.
            config.syncPinned = false
        }
        if let node = top["source"] {
            config.source = SourceReader.read(node, reader: &reader)
            if config.syncPinned, config.source != nil && (config.usersDataset == nil || config.groupsDataset == nil) {
                reader.problem("sync", top["sync"]?.mark?.line, "with a source:, both sync.users.dataset and sync.groups.dataset are needed: they name where each pull is stored")
            }
        }
        return config
    }

    private static func readSafeguard(_ node: Node, reader: inout NodeReader) -> DeletionSafeguard {
        var safeguard = DeletionSafeguard()
        let keys = reader.mapping(node, path: "sync.safeguard", keys: [
            "maxUserDeletions", "maxGroupDeletions", "maxUserDeletionPercent", "maxGroupDeletionPercent", "window",
            "maxMembershipRemovalsPerGroup", "protect", "deletedUsers", "purgeAfterDays",
        ])
        let counts: [(String, WritableKeyPath<DeletionSafeguard, Int>)] = [
            ("maxUserDeletions", \.maxUserDeletions), ("maxGroupDeletions", \.maxGroupDeletions),
        ]
        for (name, keyPath) in counts {
            if let value = reader.count(keys[name], path: "sync.safeguard.\(name)") { safeguard[keyPath: keyPath] = value }
        }
        let percents: [(String, WritableKeyPath<DeletionSafeguard, Double>)] = [
            ("maxUserDeletionPercent", \.maxUserDeletionPercent), ("maxGroupDeletionPercent", \.maxGroupDeletionPercent),
        ]
        for (name, keyPath) in percents {
            if let value = reader.percent(keys[name], path: "sync.safeguard.\(name)") { safeguard[keyPath: keyPath] = value }
        }
        if let node = keys["window"] {
            let window = reader.mapping(node, path: "sync.safeguard.window", keys: ["days", "maxUserDeletions", "maxGroupDeletions"])
            let days = reader.count(window["days"], path: "sync.safeguard.window.days", minimum: 1)
            let users = reader.count(window["maxUserDeletions"], path: "sync.safeguard.window.maxUserDeletions")
            let groups = reader.count(window["maxGroupDeletions"], path: "sync.safeguard.window.maxGroupDeletions")
            if window["days"] == nil {
                reader.problem("sync.safeguard.window.days", node.mark?.line, "missing: how many days the window reaches back, e.g. 7")
            } else if window["maxUserDeletions"] == nil && window["maxGroupDeletions"] == nil {
                reader.problem("sync.safeguard.window", node.mark?.line, "gives no limit; add maxUserDeletions and/or maxGroupDeletions")
            }
            if let days { safeguard.window = DeletionWindow(days: days, maxUserDeletions: users, maxGroupDeletions: groups) }
        }
        safeguard.maxMembershipRemovalsPerGroup = reader.count(
            keys["maxMembershipRemovalsPerGroup"], path: "sync.safeguard.maxMembershipRemovalsPerGroup")
        if let node = keys["protect"] {
            let protect = reader.mapping(node, path: "sync.safeguard.protect", keys: ["administrators", "accounts", "groups"])
            if let value = reader.bool(protect["administrators"], path: "sync.safeguard.protect.administrators") {
                safeguard.protection.administrators = value
            }
            for (name, keyPath) in [("accounts", \Protection.accounts), ("groups", \Protection.groups)] {
                guard let list = protect[name].flatMap({ reader.sequence($0, path: "sync.safeguard.protect.\(name)") }) else { continue }
                safeguard.protection[keyPath: keyPath] = list.enumerated().compactMap {
                    reader.string($1, path: "sync.safeguard.protect.\(name)[\($0)]", nonEmpty: true)
                }
            }
        }
        if let value = reader.choice(keys["deletedUsers"], path: "sync.safeguard.deletedUsers", of: DeletedUserAction.self) {
            safeguard.deletedUsers = value
        }
        if let node = keys["purgeAfterDays"] {
            safeguard.purgeAfterDays = reader.count(node, path: "sync.safeguard.purgeAfterDays", minimum: 1)
            if safeguard.deletedUsers == .remove {
                reader.problem("sync.safeguard.purgeAfterDays", node.mark?.line, "only applies with deletedUsers: disable (with remove, users who leave are removed at once)")
            }
        }
        return safeguard
    }

    /// The `sync:` section (update, datasets, safeguard, license, owned fields, limits): from the
    /// config file, or from a settings version in the store; the same checks and key paths either way.
    static func readSync(_ syncNode: Node, into config: inout Configuration, reader: inout NodeReader) {
        let sync = reader.mapping(syncNode, path: "sync", keys: [
            "update", "dailyAt", "users", "groups", "safeguard", "license", "ownedFields", "limits",
        ])
        config.update = readSchedule(sync, reader: &reader)
        for (key, kind) in [("users", DatasetKind.users), ("groups", .groups)] {
            guard let node = sync[key] else { continue }
            let keys = reader.mapping(node, path: "sync.\(key)", keys: ["dataset"])
            let name = reader.string(keys["dataset"], path: "sync.\(key).dataset", nonEmpty: true)
            if keys["dataset"] == nil { reader.problem("sync.\(key).dataset", node.mark?.line, "missing: the name of the stored \(kind.rawValue) dataset") }
            if kind == .users { config.usersDataset = name } else { config.groupsDataset = name }
        }
        if sync["users"] == nil && sync["groups"] == nil {
            reader.problem("sync", syncNode.mark?.line, "selects no dataset; give sync.users.dataset and/or sync.groups.dataset")
        }
        if let node = sync["safeguard"] {
            config.policy.safeguard = readSafeguard(node, reader: &reader)
        }
        if let node = sync["license"] {
            let keys = reader.mapping(node, path: "sync.license", keys: ["maxUsers", "maxEditableUsers"])
            config.policy.license.maxUsers = reader.count(keys["maxUsers"], path: "sync.license.maxUsers")
            config.policy.license.maxEditableUsers = reader.count(keys["maxEditableUsers"], path: "sync.license.maxEditableUsers")
        }
        if let node = sync["ownedFields"] {
            if let list = reader.sequence(node, path: "sync.ownedFields") {
                var fields = Set<OwnedField>()
                for (index, item) in list.enumerated() {
                    if let field = reader.choice(item, path: "sync.ownedFields[\(index)]", of: OwnedField.self) { fields.insert(field) }
                }
                config.policy.ownedFields = fields
            }
        }
        if let node = sync["limits"] {
            let names = ["account", "name", "email", "mobile", "groupId", "groupName"]
            let keys = reader.mapping(node, path: "sync.limits", keys: names)
            var limits = FieldLimits()
            let paths: [(String, WritableKeyPath<FieldLimits, Int>)] = [
                ("account", \.account), ("name", \.name), ("email", \.email), ("mobile", \.mobile),
                ("groupId", \.groupId), ("groupName", \.groupName),
            ]
            for (name, keyPath) in paths {
                if let value = reader.count(keys[name], path: "sync.limits.\(name)", minimum: 1) { limits[keyPath: keyPath] = value }
            }
            config.policy.limits = limits
        }
    }

    /// Reads sync settings given as YAML (or JSON) text of the `sync:` section's content, with the
    /// config file's checks and key paths (`sync.safeguard.maxUserDeletions: …`).
    public static func parseSyncSettings(_ text: String, source: String) throws(ConfigError) -> SyncSettings {
        if let use = YAMLAliases.firstUse(in: text) {
            throw ConfigError(file: source, problems: [ConfigProblem(path: "", line: use.line, message: "YAML anchors and aliases are not supported; write each value out")])
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError(file: source, problems: [ConfigProblem(path: "", line: nil, message: "not valid YAML: \(error)")])
        }
        guard let node else {
            throw ConfigError(file: source, problems: [ConfigProblem(path: "sync", line: nil, message: "empty; give at least users.dataset or groups.dataset")])
        }
        var reader = NodeReader()
        var config = Configuration(file: source, storePath: "")
        readSync(node, into: &config, reader: &reader)
        if !reader.problems.isEmpty { throw ConfigError(file: source, problems: reader.problems) }
        return SyncSettings(update: config.update, usersDataset: config.usersDataset, groupsDataset: config.groupsDataset, policy: config.policy)
    }

    private static func readCore(_ node: Node, file: String, reader: inout NodeReader) -> CoreSettings? {
        let keys = reader.mapping(node, path: "core", keys: ["url", "token", "tls", "agent"])
        let url = reader.string(keys["url"], path: "core.url", nonEmpty: true)
        if let url, !url.lowercased().hasPrefix("https://") && !url.lowercased().hasPrefix("http://") {
            reader.problem("core.url", keys["url"]?.mark?.line, "'\(url)' is not an https:// URL of the core")
        } else if let url, url.lowercased().hasPrefix("http://"), !(url.contains("://127.") || url.contains("://localhost")) {
            reader.problem("core.url", keys["url"]?.mark?.line, "'\(url)' is plain HTTP to another host: the push token and the datasets would cross the network in clear; use https://")
        }
        var token: SecretSource?
        if let tokenNode = keys["token"] {
            let sources = reader.mapping(tokenNode, path: "core.token", keys: ["file", "env", "credential"])
            var found: [SecretSource] = []
            if let file = reader.string(sources["file"], path: "core.token.file", nonEmpty: true) { found.append(.file(file)) }
            if let name = reader.string(sources["env"], path: "core.token.env", nonEmpty: true) { found.append(.environment(name)) }
            if let name = reader.string(sources["credential"], path: "core.token.credential", nonEmpty: true) { found.append(.credential(name)) }
            if found.count != 1 { reader.problem("core.token", tokenNode.mark?.line, "give exactly one of file, env, credential (the token is never written in this file)") }
            token = found.first
            if let token, let problem = SecretSourceCheck.problem(token, keys: .coreToken) { reader.problem("core.token", tokenNode.mark?.line, problem) }
        } else {
            reader.problem("core.token", node.mark?.line, "missing: where the push token is (file, env or credential); create one on the core with account-sync tokens create NAME --scope push")
        }
        var caFile: String?
        var verify = true
        if let tlsNode = keys["tls"] {
            let tls = reader.mapping(tlsNode, path: "core.tls", keys: ["caFile", "requireCert"])
            caFile = reader.string(tls["caFile"], path: "core.tls.caFile", nonEmpty: true).map { resolve($0, relativeTo: file) }
            verify = reader.bool(tls["requireCert"], path: "core.tls.requireCert") ?? true
        }
        let agent = reader.string(keys["agent"], path: "core.agent", nonEmpty: true)
        if keys["agent"] == nil { reader.problem("core.agent", node.mark?.line, "missing: a name for this agent, shown in the core's history (e.g. hq-dc1)") }
        guard let url, let token, let agent else { return nil }
        var core = CoreSettings(url: url.hasSuffix("/") ? String(url.dropLast()) : url, token: token, caFile: caFile, agent: agent)
        core.verifyCertificate = verify
        return core
    }

    private static func readServer(_ node: Node, file: String, reader: inout NodeReader) -> ServerSettings {
        var server = ServerSettings()
        let keys = reader.mapping(node, path: "server", keys: ["listen", "tls", "publicURL", "allowPlainHTTP"])
        if let listen = reader.string(keys["listen"], path: "server.listen", nonEmpty: true) {
            // host:port, [v6]:port
            let host: Substring
            let port: Substring
            if listen.hasPrefix("["), let close = listen.firstIndex(of: "]") {
                host = listen[listen.index(after: listen.startIndex)..<close]
                port = listen[listen.index(after: close)...].drop { $0 == ":" }
            } else if let colon = listen.lastIndex(of: ":") {
                host = listen[..<colon]
                port = listen[listen.index(after: colon)...]
            } else {
                host = ""
                port = ""
            }
            if let number = Int(port), (1...65_535).contains(number), !host.isEmpty {
                server.host = String(host)
                server.port = number
            } else {
                reader.problem("server.listen", keys["listen"]?.mark?.line, "'\(listen)' is not host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8443")
            }
        }
        if let tlsNode = keys["tls"] {
            let tls = reader.mapping(tlsNode, path: "server.tls", keys: ["certFile", "keyFile"])
            server.certificateFile = reader.string(tls["certFile"], path: "server.tls.certFile", nonEmpty: true).map { resolve($0, relativeTo: file) }
            server.keyFile = reader.string(tls["keyFile"], path: "server.tls.keyFile", nonEmpty: true).map { resolve($0, relativeTo: file) }
            if (server.certificateFile == nil) != (server.keyFile == nil) {
                reader.problem("server.tls", tlsNode.mark?.line, "give both certFile and keyFile")
            }
        }
        if let url = reader.string(keys["publicURL"], path: "server.publicURL", nonEmpty: true) {
            let lower = url.lowercased()
            if lower.hasPrefix("https://") || lower.hasPrefix("http://") { server.publicURL = url } else {
                reader.problem("server.publicURL", keys["publicURL"]?.mark?.line, "'\(url)' is not an http:// or https:// URL")
            }
        }
        server.allowPlainHTTP = reader.bool(keys["allowPlainHTTP"], path: "server.allowPlainHTTP") ?? false
        return server
    }

    private static func readSchedule(_ sync: [String: Node], reader: inout NodeReader) -> UpdateSchedule {
        let mode = sync["update"].flatMap { reader.string($0, path: "sync.update") } ?? "manual"
        var time: (Int, Int)?
        if let node = sync["dailyAt"], let text = reader.string(node, path: "sync.dailyAt") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2, parts.allSatisfy({ $0.count == 2 }), let hour = Int(parts[0]), let minute = Int(parts[1]),
                (0..<24).contains(hour), (0..<60).contains(minute)
            {
                time = (hour, minute)
            } else {
                reader.problem("sync.dailyAt", node.mark?.line, "'\(text)' is not a time of day; write \"HH:MM\" (24-hour), e.g. \"02:30\"")
            }
        }
        switch mode {
        case "manual":
            if sync["dailyAt"] != nil { reader.problem("sync.dailyAt", sync["dailyAt"]?.mark?.line, "only applies with update: daily") }
            return .manual
        case "daily":
            guard let (hour, minute) = time else {
                if sync["dailyAt"] == nil { reader.problem("sync.dailyAt", sync["update"]?.mark?.line, "missing: update: daily needs dailyAt: \"HH:MM\"") }
                return .manual
            }
            return .daily(hour: hour, minute: minute)
        default:
            reader.problem("sync.update", sync["update"]?.mark?.line, "'\(mode)' is not one of manual, daily")
            return .manual
        }
    }

    private static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        return folder.appendingPathComponent(path).standardizedFileURL.path
    }
}

/// Walks YAML nodes and collects problems instead of stopping at the first.
struct NodeReader {
    var problems: [ConfigProblem] = []

    mutating func problem(_ path: String, _ line: Int?, _ message: String) {
        problems.append(ConfigProblem(path: path, line: line, message: message))
    }

    /// The keys of a mapping; unknown and repeated keys are problems.
    mutating func mapping(_ node: Node, path: String, keys allowed: [String]) -> [String: Node] {
        guard case .mapping(let mapping) = node else {
            problem(path, node.mark?.line, "expected a mapping of keys (\(allowed.joined(separator: ", ")))")
            return [:]
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? "?"
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            if !allowed.contains(key) {
                let hint = suggestion(for: key, among: allowed).map { " (did you mean '\($0)'?)" } ?? ""
                problem(keyPath, keyNode.mark?.line, "unknown key\(hint); allowed here: \(allowed.joined(separator: ", "))")
            } else if result[key] != nil {
                problem(keyPath, keyNode.mark?.line, "given twice")
            } else {
                result[key] = value
            }
        }
        return result
    }

    mutating func sequence(_ node: Node, path: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            problem(path, node.mark?.line, "expected a list, e.g. [name, email]")
            return nil
        }
        return Array(sequence)
    }

    mutating func string(_ node: Node?, path: String, nonEmpty: Bool = false) -> String? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node else {
            problem(path, node.mark?.line, "expected a single value")
            return nil
        }
        if nonEmpty && scalar.string.isEmpty {
            problem(path, node.mark?.line, "must not be empty")
            return nil
        }
        return scalar.string
    }

    /// A whole number from `minimum` to `maximum`.
    mutating func count(_ node: Node?, path: String, minimum: Int = 0, maximum: Int = 1_000_000_000) -> Int? {
        guard let node, let text = string(node, path: path) else { return nil }
        guard let value = Int(text), value >= minimum, value <= maximum else {
            problem(path, node.mark?.line, "'\(text)' is not a whole number from \(minimum) to \(maximum)")
            return nil
        }
        return value
    }

    /// A percentage from 0 to 100; decimals allowed (12.5).
    mutating func percent(_ node: Node?, path: String) -> Double? {
        guard let node, let text = string(node, path: path) else { return nil }
        guard let value = Double(text.hasSuffix("%") ? String(text.dropLast()) : text), value.isFinite, (0...100).contains(value) else {
            problem(path, node.mark?.line, "'\(text)' is not a percentage from 0 to 100")
            return nil
        }
        return value
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: Node?, path: String, of type: T.Type) -> T? where T.RawValue == String {
        guard let node, let text = string(node, path: path) else { return nil }
        guard let value = T(rawValue: text) else {
            problem(path, node.mark?.line, "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }

    /// The allowed key closest to a misspelt one, when it is close.
    private func suggestion(for key: String, among allowed: [String]) -> String? {
        let lower = key.lowercased()
        return allowed.min { distance(lower, $0.lowercased()) < distance(lower, $1.lowercased()) }
            .flatMap { distance(lower, $0.lowercased()) <= max(2, key.count / 4) ? $0 : nil }
    }

    private func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
