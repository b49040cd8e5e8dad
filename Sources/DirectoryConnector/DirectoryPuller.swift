import LDAPClient
import SyncCore

/// What one pull produced: both datasets, the entries that could not be mapped (by DN), and what
/// the run should be told about the source.
public struct PulledDatasets: Sendable {
    /// The users, unless they were handed to a sink as they came (`pull(…, onUser:)`): then empty.
    public var users: [UserRow]
    /// How many users the pull found (also when they went to a sink).
    public var userCount: Int
    public var groups: [GroupRow]
    /// One line per entry that could not be mapped, naming its DN and why. Such users still
    /// appear in `users` with an empty account, so that the run reports them and never mistakes
    /// their absence for a deletion.
    public var problems: [String]
    /// Warning-level items for the run: members not found, alias and referral entries skipped,
    /// continuation references not followed, identities that fell back to the DN.
    public var notices: [RunItem]
    /// Members not found, by the DN of the group that lists them.
    public var unresolvedMembers: [String: Int]

    public init(
        users: [UserRow], userCount: Int? = nil, groups: [GroupRow], problems: [String], notices: [RunItem] = [], unresolvedMembers: [String: Int] = [:]
    ) {
        self.users = users
        self.userCount = userCount ?? users.count
        self.groups = groups
        self.problems = problems
        self.notices = notices
        self.unresolvedMembers = unresolvedMembers
    }

    /// Every problem and notice as one line each, for printing.
    public var warnings: [String] {
        problems + notices.map { "\($0.code?.rawValue ?? "") \($0.key): \($0.message)" }
    }
}

/// Pulls people and org units from a directory and maps them into the user and group datasets.
///
/// Groups come from the OU tree (parent = the enclosing OU inside the base) and/or group objects
/// (members by DN, nested groups resolved, and RFC 2307 `memberUid`). Group ids derive from the
/// groups' own identity attribute (`entryUUID`, `objectGUID`), so a renamed or moved OU is an
/// update, not a delete and a create. Aliases and referral objects are never users or groups.
/// The pull is complete or it throws an `LDAPError`: no half directory is ever returned.
public struct DirectoryPuller {
    public let settings: DirectorySettings

    public init(settings: DirectorySettings) {
        self.settings = settings
    }

    /// Connects, binds with `password` (for a simple bind) and pulls both datasets. With `onUser`,
    /// each user row goes there as soon as it is mapped instead of into the result, so that a
    /// million users are never held at once (`pull --output` writes them as they come).
    public func pull(password: String?, onUser: ((UserRow) throws -> Void)? = nil) throws -> PulledDatasets {
        let ldap = try LDAPConnection(settings.connection)
        if let dn = settings.bindDN {
            try ldap.bind(.simple(dn: dn, password: password ?? ""))
        } else if settings.saslExternal {
            try ldap.bind(.saslExternal)
        } else {
            try ldap.bind(.anonymous)
        }
        return try pull(from: ldap, onUser: onUser)
    }

    /// Pulls over an already bound connection.
    public func pull(from ldap: LDAPConnection, onUser: ((UserRow) throws -> Void)? = nil) throws -> PulledDatasets {
        let report = PullReport()
        let references = try referenceHandling(ldap, report: report)
        let groupIdAttribute = settings.groups.externalId
        // What tells an alias or a referral entry (see `PullReport.skip`): attributes no user or
        // group has, so asking for them costs nothing, unlike objectClass and its values on every entry.
        let skipAttributes = ["aliasedObjectName", "ref"]

        // Org units: the OU tree.
        var units: [String: Unit] = [:]  // normalized DN → unit
        var unitGroupIds: [Substring: String] = [:]  // the DN exactly as the server wrote it → the unit's group id
        var unitOrder: [String] = []
        if settings.groups.from != .groupObjects {
            try search(ldap, base: settings.groups.base, filter: settings.groups.ouFilter, attributes: ["ou", "name", groupIdAttribute] + skipAttributes, references: references) { entry in
                if report.skip(entry, as: "user group") { return }
                let dn = try DistinguishedName(lenient: entry.dn)
                // Named after the RDN (the name the admin sees in every DN), not the first `ou` value.
                let name = dn.rdns.first?.first(where: { $0.type.lowercased() == "ou" })?.value ?? dn.leafValue ?? entry.string("name") ?? entry.dn
                let identity = identity(entry, attribute: groupIdAttribute, what: "org unit", report: report)
                let unit = Unit(dn: dn, serverDN: entry.dn, groupId: "ou-" + (identity ?? dn.normalized), name: name, externalId: identity ?? "")
                units[dn.normalized] = unit
                unitGroupIds[entry.dn[...]] = unit.groupId
                unitOrder.append(dn.normalized)
            }
        }

        // Group objects, with their member DNs and memberUid values.
        var groupObjects: [String: GroupObject] = [:]
        var groupOrder: [String] = []
        if settings.groups.from != .ouTree {
            let uidAttribute = settings.groups.memberUidAttribute
            let attributes = ["cn", groupIdAttribute] + skipAttributes + settings.groups.memberAttributes + (uidAttribute.map { [$0] } ?? [])
            try search(ldap, base: settings.groups.base, filter: settings.groups.groupFilter, attributes: attributes, references: references) { entry in
                if report.skip(entry, as: "user group") { return }
                let dn = try DistinguishedName(lenient: entry.dn)
                var members: [(normalized: String, text: String)] = []
                var unreadable: [String] = []
                for attribute in settings.groups.memberAttributes {
                    let optionalUID = attribute.lowercased() == "uniquemember"
                    for value in entry.strings(attribute) {
                        let text = optionalUID ? DistinguishedName.withoutOptionalUID(value) : value
                        if let member = try? DistinguishedName.normalizedText(lenient: text) { members.append((member, value)) } else { unreadable.append(value) }
                    }
                }
                let identity = identity(entry, attribute: groupIdAttribute, what: "group", report: report)
                let group = GroupObject(
                    dn: dn, serverDN: entry.dn, groupId: "grp-" + (identity ?? dn.normalized),
                    name: entry.string("cn") ?? dn.leafValue ?? entry.dn, externalId: identity ?? "",
                    members: members, memberUids: uidAttribute.map { entry.strings($0) } ?? [], unreadable: unreadable)
                groupObjects[dn.normalized] = group
                groupOrder.append(dn.normalized)
            }
        }

        // Disabled users, by a server-side filter.
        // Keyed by the DN as the server writes it: the same server writes the same entry's DN the same way.
        var disabled = Set<String>()
        if let disabledFilter = settings.users.disabledFilter {
            try search(ldap, base: settings.users.base, scope: settings.users.scope, filter: LDAPFilter.and([settings.users.filter, disabledFilter]), attributes: ["1.1"], references: references) { entry in
                disabled.insert(entry.dn)
            }
        }

        // Nested group membership: every group a DN belongs to, directly or through other groups.
        let membership = NestedMembership(groups: groupObjects)
        let memberUids = MemberUidIndex(groups: groupObjects)
        let typeRules = try settings.users.accountType.rules.map { (dn: try DistinguishedName($0.memberOf).normalized, type: $0.type) }

        var users: [UserRow] = []
        var userCount = 0
        // Which DNs that groups list as members turned out to be users (only those are kept: a
        // million users' DNs are not).
        var userDNs = Set<String>()
        let map = settings.users.map
        var attributes = [map.account, map.name, map.email, map.mobile, map.externalId, "memberOf"] + skipAttributes
        if memberUids.byNumber { attributes.append("uidNumber") }
        try search(ldap, base: settings.users.base, scope: settings.users.scope, filter: settings.users.filter, attributes: attributes, references: references, readingAhead: true) { entry in
            if report.skip(entry, as: "user") { return }
            /// The first value as text; a value that is not UTF-8 is reported, not silently emptied.
            func text(_ attribute: String) -> String {
                guard let first = entry.firstValue(attribute) else { return "" }
                if let value = LDAPEntry.text(first) { return value }
                report.problems.append("\(entry.dn): '\(attribute)' holds a value that is not valid UTF-8; it is left empty")
                return ""
            }
            let account = text(map.account)
            if account.isEmpty {
                report.problems.append("\(entry.dn): no '\(map.account)' attribute, so it has no account; the run reports it as MISSING_REQUIRED_FIELD")
            }
            var groupIds: [String] = []
            // Fast path: the text after the first RDN is the enclosing OU's DN as the server wrote it
            // (its group id only: a whole unit would be copied, five references, for each user).
            var parsed: DistinguishedName?
            if let groupId = unitGroupIds[Self.parentText(of: entry.dn)] {
                groupIds.append(groupId)
            } else if !units.isEmpty {
                parsed = try DistinguishedName(lenient: entry.dn)
                if let unit = enclosingUnit(of: parsed!, in: units) { groupIds.append(unit.groupId) }
            }
            var memberOf = Set<String>()
            let memberOfValues = entry.strings("memberOf")
            var direct = groupObjects.isEmpty ? [] : memberUids.groups(account: account, uidNumber: memberUids.byNumber ? entry.string("uidNumber") : nil)
            // A user no group names, by DN, uid or memberOf, is in no group object: no set work, and
            // no normalized DN (most users of a large directory are in an OU only).
            if membership.mightList(entry.dn) || !direct.isEmpty || !memberOfValues.isEmpty {
                let key = try parsed?.normalized ?? DistinguishedName.normalizedText(lenient: entry.dn)
                let listed = membership.isListed(key)  // some group lists this DN as a member
                if listed { userDNs.insert(key) }
                if listed || !direct.isEmpty || !memberOfValues.isEmpty {
                    direct.insert(key)
                    for dn in direct { memberOf.formUnion(membership.groups(of: dn)) }
                    memberOf.formUnion(direct.subtracting([key]))
                    memberOf.formUnion(memberOfValues.compactMap { try? DistinguishedName.normalizedText(lenient: $0) })
                    for groupDN in memberOf.sorted() {
                        if let group = groupObjects[groupDN] { groupIds.append(group.groupId) }
                    }
                }
            }
            let type = typeRules.first { memberOf.contains($0.dn) }?.type ?? settings.users.accountType.defaultType
            let row = UserRow(
                account: account, name: text(map.name), email: text(map.email),
                mobile: text(map.mobile), accountType: type, groupIds: groupIds, disabled: !disabled.isEmpty && disabled.contains(entry.dn),
                externalId: identity(entry, attribute: map.externalId, what: "user", report: report) ?? "", thirdParty: ["ldapDN": entry.dn])
            userCount += 1
            if let onUser { try onUser(row) } else { users.append(row) }
        }

        // Members no user or group of the pull answers to: reported, never silently dropped.
        for key in groupOrder {
            guard let group = groupObjects[key] else { continue }
            for member in group.members where !userDNs.contains(member.normalized) && groupObjects[member.normalized] == nil && units[member.normalized] == nil {
                report.memberNotFound(group, value: member.text, why: whyNotFound(member.normalized, report: report))
            }
            for value in group.unreadable {
                report.memberNotFound(group, value: value, why: "it cannot be read as a DN")
            }
            let numeric = memberUids.isNumeric(group: key)
            for value in group.memberUids where !memberUids.matched.contains(MemberUidIndex.key(value, numeric: numeric)) {
                report.memberNotFound(group, value: value, why: "no user in scope has that \(numeric ? "uidNumber" : "'\(map.account)'")")
            }
        }

        var groups: [GroupRow] = []
        for key in unitOrder {
            guard let unit = units[key] else { continue }
            let parent = enclosingUnit(of: unit.dn, in: units)?.groupId ?? ""
            groups.append(GroupRow(groupId: unit.groupId, name: unit.name, parentGroupId: parent, externalId: unit.externalId, thirdParty: ["ldapDN": unit.serverDN]))
        }
        for key in groupOrder {
            guard let group = groupObjects[key] else { continue }
            let parent = settings.groups.placement == .underOU ? enclosingUnit(of: group.dn, in: units)?.groupId ?? "" : ""
            groups.append(GroupRow(groupId: group.groupId, name: group.name, parentGroupId: parent, externalId: group.externalId, thirdParty: ["ldapDN": group.serverDN]))
        }
        return PulledDatasets(users: users, userCount: userCount, groups: groups, problems: report.problems, notices: report.notices, unresolvedMembers: report.unresolved)
    }

    /// A paged search whose referral failure names the referral entries (DN and URL) behind it, and
    /// which, with `referrals: skip`, reports the referral entries it did not follow. With
    /// `readingAhead`, libldap reads the next page on another thread while `body` maps this one
    /// (the users: a million entries).
    private func search(
        _ ldap: LDAPConnection, base: String, scope: SearchScope = .subtree, filter: String, attributes: [String],
        references: ReferenceHandling, readingAhead: Bool = false, body: (LDAPEntry) throws -> Void
    ) throws {
        do {
            if readingAhead {
                try ldap.searchReadingAhead(base: base, scope: scope, filter: filter, attributes: attributes, pageSize: settings.pageSize, references: references, body: body)
            } else {
                try ldap.search(base: base, scope: scope, filter: filter, attributes: attributes, pageSize: settings.pageSize, references: references, body: body)
            }
        } catch var error as LDAPError where error.kind == .referral {
            let entries = referralEntries(ldap, base: base)
            if !entries.isEmpty {
                error.message += ". Referral entries under \(base): " + entries.map { "\($0.dn) → \($0.urls.joined(separator: " "))" }.joined(separator: "; ")
                    + ". To sync without them, set source.referrals: skip (each is then reported in the run's items)"
            }
            throw error
        }
    }

    /// The referral objects under `base` (read with ManageDsaIT), for messages; empty when none can be read.
    private func referralEntries(_ ldap: LDAPConnection, base: String) -> [(dn: String, urls: [String])] {
        var found: [(dn: String, urls: [String])] = []
        _ = try? ldap.search(base: base, filter: "(objectClass=referral)", attributes: ["ref"], pageSize: settings.pageSize, manageDsaIT: true) { entry in
            found.append((entry.dn, entry.strings("ref")))
        }
        return found
    }

    /// How searches treat continuation references: with the active-directory profile, references to
    /// the forest's other naming contexts (Configuration, DomainDnsZones…; they hold no users of
    /// the domain) are reported once and ignored; with `referrals: skip` every reference is; any
    /// other reference fails the pull.
    private func referenceHandling(_ ldap: LDAPConnection, report: PullReport) throws -> ReferenceHandling {
        var otherContexts = Set<String>()
        if settings.profile == .activeDirectory {
            let root = try ldap.rootDSE()
            otherContexts = Set(root.strings("namingContexts").compactMap { try? DistinguishedName(lenient: $0).normalized })
        }
        guard !otherContexts.isEmpty || settings.referrals == .skip else { return .fail }
        let policy = settings.referrals
        return .decide { urls in
            for url in urls {
                let target = LDAPURL.dn(of: url).flatMap { try? DistinguishedName(lenient: $0).normalized }
                if let target, otherContexts.contains(target) {
                    report.notice(.referenceSkipped, key: url, "the search was referred to \(LDAPURL.dn(of: url) ?? url), another naming context of this server (it holds no users of this domain); not followed")
                } else if policy == .skip {
                    report.notice(.referenceSkipped, key: url, "part of the tree is held elsewhere (\(url)); not followed because source.referrals is skip, so the entries there are not synced")
                } else {
                    throw LDAPError(kind: .referral, resultCode: 10, operation: "search", message: "the server referred part of the tree to \(url), which is not followed; the pull is incomplete. Narrow the base DN, point at a server that holds the whole tree, or set source.referrals: skip")
                }
            }
        }
    }

    /// Why a member DN matched no user or group of the pull, in plain words.
    private func whyNotFound(_ member: String, report: PullReport) -> String {
        if report.aliases.contains(member) { return "it is an alias entry (aliases are never users)" }
        guard let base = try? DistinguishedName(lenient: settings.users.base), let dn = try? DistinguishedName(lenient: member) else {
            return "no user or group in scope has that DN"
        }
        if !dn.isWithin(base) { return "it is outside source.users.base (\(settings.users.base))" }
        return "no user or group in scope has that DN (deleted, renamed without referential integrity, or not matching the user filter)"
    }

    /// The value of an identity attribute as text (`objectGUID` as a canonical GUID string); a value
    /// that cannot serve is reported and nil is returned (the DN then serves as the identity).
    private func identity(_ entry: LDAPEntry, attribute: String, what: String, report: PullReport) -> String? {
        guard let bytes = entry.firstValue(attribute), !bytes.isEmpty else {
            if what != "user" { report.notice(.identityFallback, kind: .group, key: entry.dn, "this \(what) has no '\(attribute)'; its id is made from its DN, so renaming or moving it will look like a removal and a new \(what)") }
            return nil
        }
        if attribute.lowercased() == "objectguid" {
            guard let guid = ActiveDirectory.guidString(Array(bytes)) else {
                report.notice(.identityFallback, key: entry.dn, "objectGUID is \(bytes.count) bytes, not 16, so it cannot identify this \(what); \(what == "user" ? "the user is matched by account and DN instead" : "its id is made from its DN")")
                return nil
            }
            return guid
        }
        guard let text = LDAPEntry.text(bytes) else {
            report.notice(.identityFallback, key: entry.dn, "'\(attribute)' is not text, so it cannot identify this \(what)")
            return nil
        }
        return text
    }

    /// The text after a DN's first unescaped comma: its parent, as the server wrote it (a slice
    /// of `dn`: no copy for each of a million users).
    static func parentText(of dn: String) -> Substring {
        let bytes = dn.utf8
        var escaped = false
        for index in bytes.indices {
            let byte = bytes[index]
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: ",") {
                return dn[bytes.index(after: index)...]
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
        var serverDN: String
        var groupId: String
        var name: String
        var externalId: String
    }
}

/// What a pull has to say as it goes: unmappable entries, warnings for the run, skipped aliases.
/// A class so the reference handler (a closure) and the search bodies can both add to it.
final class PullReport {
    var problems: [String] = []
    var notices: [RunItem] = []
    var unresolved: [String: Int] = [:]
    /// Alias entries seen in the searches, normalized (a member naming one is explained as such).
    var aliases = Set<String>()
    private var noticed = Set<String>()

    /// Skips and reports an alias or referral entry that matched a search; returns whether it did.
    /// Each is told by the attribute its object class requires: an alias's `aliasedObjectName`
    /// (RFC 4512), a referral's `ref` (RFC 3296).
    func skip(_ entry: LDAPEntry, as what: String) -> Bool {
        if entry.firstValue("aliasedObjectName") != nil {
            if let dn = try? DistinguishedName(lenient: entry.dn) { aliases.insert(dn.normalized) }
            let target = entry.string("aliasedObjectName").map { " (it points to \($0))" } ?? ""
            notice(.entrySkipped, kind: what == "user" ? .user : .group, key: entry.dn, "an alias entry\(target) matched the \(what) search; aliases are never users or groups, so it was skipped")
            return true
        }
        if entry.firstValue("ref") != nil {
            notice(.entrySkipped, kind: what == "user" ? .user : .group, key: entry.dn, "a referral entry matched the \(what) search; it is not a \(what), so it was skipped")
            return true
        }
        return false
    }

    /// Adds a warning item once.
    func notice(_ code: ItemCode, kind: ItemKind = .user, key: String, _ message: String) {
        guard noticed.insert("\(code.rawValue)\u{0}\(key)\u{0}\(message)").inserted else { return }
        notices.append(RunItem(kind: kind, key: key, action: .update, code: code, message: message))
    }

    func memberNotFound(_ group: GroupObject, value: String, why: String) {
        unresolved[group.serverDN, default: 0] += 1
        notice(.memberNotFound, kind: .group, key: group.groupId, "member '\(value)' of \(group.serverDN) was not found: \(why); the membership is not synced")
    }
}

/// A group object: its id, its members' DNs (users or other groups) and its memberUid values.
struct GroupObject {
    var dn: DistinguishedName
    var serverDN: String
    var groupId: String
    var name: String
    var externalId: String
    var members: [(normalized: String, text: String)]
    var memberUids: [String]
    /// Member values that are not DNs at all.
    var unreadable: [String]
}

/// Resolves nested groups: which groups a DN belongs to directly or through other groups.
/// Cycles (A in B, B in A) are harmless: each group is visited once.
struct NestedMembership {
    private var parents: [String: [String]] = [:]  // member DN → groups listing it
    /// The digests of the member DNs (`DistinguishedName.digest`), to rule most users out cheaply.
    private var memberDigests = Set<UInt64>()

    init(groups: [String: GroupObject]) {
        for (groupDN, group) in groups {
            for member in group.members { parents[member.normalized, default: []].append(groupDN) }
        }
        memberDigests = Set(parents.keys.map(DistinguishedName.digest(ofNormalized:)))
    }

    /// False when no group lists the DN as the server wrote it; true when one might. A plain DN's
    /// digest is made from its bytes, without building its normalized text or looking it up.
    func mightList(_ serverDN: String) -> Bool {
        guard !parents.isEmpty else { return false }
        guard let digest = DistinguishedName.normalizedDigest(ofPlain: serverDN) else { return true }
        return memberDigests.contains(digest)
    }

    /// Whether some group lists `dn` (normalized) as a member.
    func isListed(_ dn: String) -> Bool { parents[dn] != nil }

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

/// RFC 2307 groups (`posixGroup`): members listed by login name, or by uid number when every value
/// of a group is a number. Remembers which values matched a user, so the rest can be reported.
final class MemberUidIndex {
    private var byValue: [String: [String]] = [:]  // value → group DNs
    private var numericGroups = Set<String>()
    private(set) var matched = Set<String>()
    /// Some group lists uid numbers: the user search must read `uidNumber`.
    let byNumber: Bool

    init(groups: [String: GroupObject]) {
        var byNumber = false
        for (groupDN, group) in groups where !group.memberUids.isEmpty {
            let numeric = group.memberUids.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
            if numeric {
                numericGroups.insert(groupDN)
                byNumber = true
            }
            for value in group.memberUids { byValue[Self.key(value, numeric: numeric), default: []].append(groupDN) }
        }
        self.byNumber = byNumber
    }

    /// Login names compare case-insensitively, as `uid` does; uid numbers are tagged apart.
    static func key(_ value: String, numeric: Bool) -> String {
        numeric ? "#" + value : value.lowercased()
    }

    /// Whether the group (by normalized DN) lists uid numbers rather than login names.
    func isNumeric(group: String) -> Bool { numericGroups.contains(group) }

    /// The groups (DNs) listing this user by account or uid number.
    func groups(account: String, uidNumber: String?) -> Set<String> {
        guard !byValue.isEmpty else { return [] }
        var found = Set<String>()
        for key in [account.isEmpty ? nil : account.lowercased(), uidNumber.map { "#" + $0 }].compactMap({ $0 }) {
            guard let groups = byValue[key] else { continue }
            matched.insert(key)
            found.formUnion(groups)
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
