import LDAPClient
import SyncCore

/// What one pull produced: both datasets, and the entries that could not be mapped (by DN).
public struct PulledDatasets: Sendable {
    public var users: [UserRow]
    public var groups: [GroupRow]
    /// One line per entry that could not be mapped, naming its DN and why. Such users still
    /// appear in `users` with an empty account, so that the run reports them and never mistakes
    /// their absence for a deletion.
    public var problems: [String]
}

/// Pulls people and org units from a directory and maps them into the user and group datasets.
///
/// Groups come from the OU tree (parent = the enclosing OU inside the base) and/or group objects
/// (members resolved through nested groups). Group ids derive from the entry's stable external id
/// (`entryUUID`, `objectGUID`), so a renamed or moved OU is an update, not a delete and a create.
/// The pull is complete or it throws an `LDAPError`: no half directory is ever returned.
public struct DirectoryPuller {
    public let settings: DirectorySettings

    public init(settings: DirectorySettings) {
        self.settings = settings
    }

    /// Connects, binds with `password` (for a simple bind) and pulls both datasets.
    public func pull(password: String?) throws -> PulledDatasets {
        let ldap = try LDAPConnection(settings.connection)
        if let dn = settings.bindDN {
            try ldap.bind(.simple(dn: dn, password: password ?? ""))
        } else if settings.saslExternal {
            try ldap.bind(.saslExternal)
        } else {
            try ldap.bind(.anonymous)
        }
        return try pull(from: ldap)
    }

    /// Pulls over an already bound connection.
    public func pull(from ldap: LDAPConnection) throws -> PulledDatasets {
        let externalIdAttribute = settings.users.map.externalId
        var problems: [String] = []

        // Org units: the OU tree.
        var units: [String: Unit] = [:]  // normalized DN → unit
        var unitsByServerDN: [String: Unit] = [:]  // the DN exactly as the server wrote it → unit
        var unitOrder: [String] = []
        if settings.groups.from != .groupObjects {
            try ldap.search(base: settings.groups.base, filter: settings.groups.ouFilter, attributes: ["ou", "name", externalIdAttribute], pageSize: settings.pageSize) { entry in
                let dn = try DistinguishedName(entry.dn)
                let name = entry.string("ou") ?? entry.string("name") ?? dn.leafValue ?? entry.dn
                let id = "ou-" + (externalId(entry) ?? dn.normalized)
                let unit = Unit(dn: dn, groupId: id, name: name, externalId: externalId(entry) ?? "")
                units[dn.normalized] = unit
                unitsByServerDN[entry.dn] = unit
                unitOrder.append(dn.normalized)
            }
        }
        // Group objects, with their member DNs.
        var groupObjects: [String: GroupObject] = [:]
        var groupOrder: [String] = []
        if settings.groups.from != .ouTree {
            let attributes = ["cn", externalIdAttribute] + settings.groups.memberAttributes
            try ldap.search(base: settings.groups.base, filter: settings.groups.groupFilter, attributes: attributes, pageSize: settings.pageSize) { entry in
                let dn = try DistinguishedName(entry.dn)
                var members: [String] = []
                for attribute in settings.groups.memberAttributes {
                    for member in entry.strings(attribute) {
                        if let memberDN = try? DistinguishedName(member) { members.append(memberDN.normalized) }
                    }
                }
                let id = "grp-" + (externalId(entry) ?? dn.normalized)
                groupObjects[dn.normalized] = GroupObject(groupId: id, name: entry.string("cn") ?? dn.leafValue ?? entry.dn, externalId: externalId(entry) ?? "", members: members)
                groupOrder.append(dn.normalized)
            }
        }

        // Disabled users, by a server-side filter.
        // Keyed by the DN as the server writes it: the same server writes the same entry's DN the same way.
        var disabled = Set<String>()
        if let disabledFilter = settings.users.disabledFilter {
            try ldap.search(base: settings.users.base, scope: settings.users.scope, filter: LDAPFilter.and([settings.users.filter, disabledFilter]), attributes: ["1.1"], pageSize: settings.pageSize) { entry in
                disabled.insert(entry.dn)
            }
        }

        // Nested group membership: every group a DN belongs to, directly or through other groups.
        let membership = NestedMembership(groups: groupObjects)
        let typeRules = try settings.users.accountType.rules.map { (dn: try DistinguishedName($0.memberOf).normalized, type: $0.type) }

        var users: [UserRow] = []
        let map = settings.users.map
        try ldap.search(base: settings.users.base, scope: settings.users.scope, filter: settings.users.filter,
                        attributes: [map.account, map.name, map.email, map.mobile, map.externalId, "memberOf"], pageSize: settings.pageSize) { entry in
            /// The first value as text; a value that is not UTF-8 is reported, not silently emptied.
            func text(_ attribute: String) -> String {
                guard let first = entry.bytes(attribute).first else { return "" }
                if let value = String(validating: first, as: UTF8.self) { return value }
                problems.append("\(entry.dn): '\(attribute)' holds a value that is not valid UTF-8; it is left empty")
                return ""
            }
            let account = text(map.account)
            if account.isEmpty {
                problems.append("\(entry.dn): no '\(map.account)' attribute, so it has no account; the run reports it as MISSING_REQUIRED_FIELD")
            }
            var groupIds: [String] = []
            // Fast path: the text after the first RDN is the enclosing OU's DN as the server wrote it.
            var parsed: DistinguishedName?
            if let unit = unitsByServerDN[Self.parentText(of: entry.dn)] {
                groupIds.append(unit.groupId)
            } else if !units.isEmpty {
                parsed = try DistinguishedName(entry.dn)
                if let unit = enclosingUnit(of: parsed!, in: units) { groupIds.append(unit.groupId) }
            }
            var memberOf = Set<String>()
            let memberOfValues = entry.strings("memberOf")
            if !groupObjects.isEmpty || !memberOfValues.isEmpty {
                let key = try (parsed ?? DistinguishedName(entry.dn)).normalized
                memberOf = membership.groups(of: key).union(memberOfValues.compactMap { try? DistinguishedName($0).normalized })
                for groupDN in memberOf.sorted() {
                    if let group = groupObjects[groupDN] { groupIds.append(group.groupId) }
                }
            }
            let type = typeRules.first { memberOf.contains($0.dn) }?.type ?? settings.users.accountType.defaultType
            users.append(UserRow(
                account: account, name: text(map.name), email: text(map.email),
                mobile: text(map.mobile), accountType: type, groupIds: groupIds, disabled: disabled.contains(entry.dn),
                externalId: externalId(entry) ?? "", thirdParty: ["ldapDN": entry.dn]))
        }

        var groups: [GroupRow] = []
        for key in unitOrder {
            guard let unit = units[key] else { continue }
            let parent = enclosingUnit(of: unit.dn, in: units)?.groupId ?? ""
            groups.append(GroupRow(groupId: unit.groupId, name: unit.name, parentGroupId: parent, externalId: unit.externalId))
        }
        for key in groupOrder {
            guard let group = groupObjects[key] else { continue }
            groups.append(GroupRow(groupId: group.groupId, name: group.name, parentGroupId: "", externalId: group.externalId))
        }
        return PulledDatasets(users: users, groups: groups, problems: problems)
    }

    /// The configured external id of an entry as text (`objectGUID` as a canonical GUID string).
    private func externalId(_ entry: LDAPEntry) -> String? {
        let attribute = settings.users.map.externalId
        guard let bytes = entry.bytes(attribute).first, !bytes.isEmpty else { return nil }
        if attribute.lowercased() == "objectguid" { return ActiveDirectory.guidString(bytes) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The text after a DN's first unescaped comma: its parent, as the server wrote it.
    static func parentText(of dn: String) -> String {
        let bytes = dn.utf8
        var escaped = false
        for index in bytes.indices {
            let byte = bytes[index]
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: ",") {
                return String(dn[bytes.index(after: index)...])
            }
        }
        return ""
    }

    /// The nearest OU above `dn` that is part of the tree.
    private func enclosingUnit(of dn: DistinguishedName, in units: [String: Unit]) -> Unit? {
        var current = dn.parent
        while !current.isRoot {
            if let unit = units[current.normalized] { return unit }
            current = current.parent
        }
        return nil
    }

    private struct Unit {
        var dn: DistinguishedName
        var groupId: String
        var name: String
        var externalId: String
    }
}

/// A group object: its id and its members' DNs (users or other groups), normalized.
struct GroupObject {
    var groupId: String
    var name: String
    var externalId: String
    var members: [String]
}

/// Resolves nested groups: which groups a DN belongs to directly or through other groups.
/// Cycles (A in B, B in A) are harmless: each group is visited once.
struct NestedMembership {
    private var parents: [String: [String]] = [:]  // member DN → groups listing it

    init(groups: [String: GroupObject]) {
        for (groupDN, group) in groups {
            for member in group.members { parents[member, default: []].append(groupDN) }
        }
    }

    func groups(of dn: String) -> Set<String> {
        var found = Set<String>()
        var queue = parents[dn] ?? []
        while let group = queue.popLast() {
            guard found.insert(group).inserted else { continue }
            queue += parents[group] ?? []
        }
        return found
    }
}

extension ActiveDirectory {
    /// `objectGUID`'s 16 bytes as the canonical string (the first three fields are little-endian):
    /// `3f2504e0-4f89-11d3-9a0c-0305e82c3301`.
    public static func guidString(_ bytes: [UInt8]) -> String? {
        guard bytes.count == 16 else { return nil }
        let order = [3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15]
        return order.map { $0 < 0 ? "-" : hex(bytes[$0]) }.joined()
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
    }
}
