import Foundation
import SyncCore
import Yams

/// The sync settings as a document of the `sync:` section's keys, the form the store versions and
/// the console edits: JSON text (which is also YAML), keys sorted. Every save goes back through
/// `ConfigLoader.parseSyncSettings`, so a saved version is always valid.
public enum SyncSettingsDocument {
    /// The document of a settings value, with every key spelled out.
    public static func document(_ settings: SyncSettings) -> [String: Any] {
        var sync: [String: Any] = [:]
        switch settings.update {
        case .manual: sync["update"] = "manual"
        case .daily(let hour, let minute):
            sync["update"] = "daily"
            sync["dailyAt"] = String(format: "%02d:%02d", hour, minute)
        }
        if let users = settings.usersDataset { sync["users"] = ["dataset": users] }
        if let groups = settings.groupsDataset { sync["groups"] = ["dataset": groups] }
        let safeguard = settings.policy.safeguard
        var guardDocument: [String: Any] = [
            "maxUserDeletions": safeguard.maxUserDeletions, "maxGroupDeletions": safeguard.maxGroupDeletions,
            "maxUserDeletionPercent": safeguard.maxUserDeletionPercent, "maxGroupDeletionPercent": safeguard.maxGroupDeletionPercent,
            "deletedUsers": safeguard.deletedUsers.rawValue,
            "protect": ["administrators": safeguard.protection.administrators, "accounts": safeguard.protection.accounts, "groups": safeguard.protection.groups],
        ]
        if let window = safeguard.window {
            var windowDocument: [String: Any] = ["days": window.days]
            if let users = window.maxUserDeletions { windowDocument["maxUserDeletions"] = users }
            if let groups = window.maxGroupDeletions { windowDocument["maxGroupDeletions"] = groups }
            guardDocument["window"] = windowDocument
        }
        if let limit = safeguard.maxMembershipRemovalsPerGroup { guardDocument["maxMembershipRemovalsPerGroup"] = limit }
        if let days = safeguard.purgeAfterDays { guardDocument["purgeAfterDays"] = days }
        sync["safeguard"] = guardDocument
        var license: [String: Any] = [:]
        if let users = settings.policy.license.maxUsers { license["maxUsers"] = users }
        if let editable = settings.policy.license.maxEditableUsers { license["maxEditableUsers"] = editable }
        if !license.isEmpty { sync["license"] = license }
        sync["ownedFields"] = settings.policy.ownedFields.map(\.rawValue).sorted()
        let limits = settings.policy.limits
        sync["limits"] = [
            "account": limits.account, "name": limits.name, "email": limits.email, "mobile": limits.mobile,
            "groupId": limits.groupId, "groupName": limits.groupName,
        ]
        return sync
    }

    /// The document as text: JSON, keys sorted, two-space indents.
    public static func text(_ document: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads a document's text (JSON or YAML) into a nested dictionary.
    public static func parse(_ text: String) throws(ConfigError) -> [String: Any] {
        do {
            guard let object = try Yams.load(yaml: text) as? [String: Any] else {
                throw ConfigError(file: "settings", problems: [ConfigProblem(path: "sync", line: nil, message: "expected a mapping of keys")])
            }
            return object
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(file: "settings", problems: [ConfigProblem(path: "", line: nil, message: "not valid YAML: \(error)")])
        }
    }

    /// Sets `key` (a dotted path below `sync`, e.g. `safeguard.maxUserDeletions`) to `value`, read
    /// as a YAML value (`20`, `true`, `[root, admin]`); an empty value removes the key.
    public static func set(_ key: String, to value: String, in document: inout [String: Any]) throws(ConfigError) {
        let path = key.hasPrefix("sync.") ? String(key.dropFirst(5)) : key
        let parts = path.split(separator: ".").map(String.init)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else {
            throw ConfigError(file: "settings", problems: [ConfigProblem(path: key, line: nil, message: "is not a key path like safeguard.maxUserDeletions")])
        }
        let parsed: Any?
        if value.isEmpty {
            parsed = nil
        } else {
            do { parsed = try Yams.load(yaml: value) } catch {
                throw ConfigError(file: "settings", problems: [ConfigProblem(path: "sync.\(path)", line: nil, message: "'\(value)' is not a value: \(error)")])
            }
        }
        document = setting(parsed, at: parts[...], in: document)
    }

    private static func setting(_ value: Any?, at path: ArraySlice<String>, in document: [String: Any]) -> [String: Any] {
        var document = document
        guard let first = path.first else { return document }
        if path.count == 1 {
            document[first] = value
        } else {
            document[first] = setting(value, at: path.dropFirst(), in: document[first] as? [String: Any] ?? [:])
        }
        return document
    }

    /// Every leaf of a document as `path: value`, for the changes of a version.
    public static func flatten(_ document: [String: Any], prefix: String = "sync") -> [String: String] {
        var leaves: [String: String] = [:]
        for (key, value) in document {
            let path = "\(prefix).\(key)"
            if let nested = value as? [String: Any] {
                leaves.merge(flatten(nested, prefix: path)) { $1 }
            } else if let list = value as? [Any] {
                leaves[path] = "[" + list.map { "\($0)" }.joined(separator: ", ") + "]"
            } else if type(of: value) == Bool.self, let flag = value as? Bool {
                leaves[path] = flag ? "true" : "false"
            } else {
                leaves[path] = "\(value)"
            }
        }
        return leaves
    }

    /// What differs between two documents, key by key.
    public static func changes(from old: [String: Any], to new: [String: Any]) -> [FieldChange] {
        let before = flatten(old)
        let after = flatten(new)
        return Set(before.keys).union(after.keys).sorted().compactMap { key in
            before[key] == after[key] ? nil : FieldChange(field: key, old: before[key] ?? "", new: after[key] ?? "")
        }
    }
}
