import DirectoryConnector
import Foundation
import LDAPClient
import SlapdFixture
import SyncCore
import Testing

/// Directories as they really are (`realWorldDirectory`), each case asserted to the exact users,
/// groups, memberships and reported items.
@Suite("Real directories: repeated attributes, aliases, odd DNs, memberUid, dangling members, referrals", .serialized)
final class RealDirectoryTests {
    let slapd: Slapd
    static let real = "ou=Real,dc=example,dc=com"
    static let people = "ou=People,ou=Real,dc=example,dc=com"

    init() throws {
        slapd = try Slapd(ldif: realWorldDirectory)
    }

    func settings(base: String = people, filter: String? = nil, groupBase: String = real, placement: GroupSearch.Placement = .flat) -> DirectorySettings {
        var users = DirectoryProfile.openldap.defaultUsers(base: base)
        if let filter { users.filter = filter }
        users.disabledFilter = nil
        users.accountType = AccountTypeRules(rules: [.init(memberOf: "cn=staff,ou=Groups,\(Self.real)", type: "Read-Only User")])
        var groups = DirectoryProfile.openldap.defaultGroups(base: groupBase, from: .both)
        groups.placement = placement
        return DirectorySettings(
            profile: .openldap, connection: LDAPConnectionOptions(uris: [slapd.uri], allowInsecureBind: true, networkTimeout: 3),
            bindDN: slapd.adminDN, pageSize: 3, users: users, groups: groups)
    }

    func pull(_ settings: DirectorySettings) throws -> PulledDatasets {
        try DirectoryPuller(settings: settings).pull(password: slapd.adminPassword)
    }

    func groupId(_ pulled: PulledDatasets, dn: String) throws -> String {
        try #require(pulled.groups.first { $0.thirdParty["ldapDN"]?.lowercased() == dn.lowercased() }, "no group \(dn)").groupId
    }

    func members(_ pulled: PulledDatasets, of dn: String) throws -> Set<String> {
        let id = try groupId(pulled, dn: dn)
        return Set(pulled.users.filter { $0.groupIds.contains(id) }.map(\.account))
    }

    @Test func everyValueOfAnAttributeGivenInTwoPlacesCounts() throws {
        let pulled = try pull(settings())
        // staff's member lines are interleaved with its description: slapd keeps two occurrences.
        #expect(try members(pulled, of: "cn=staff,ou=Groups,\(Self.real)") == ["alice", "bob", "jsmith", "rnd1"])
        // …and the account-type rule that depends on that membership sees all of them.
        let readOnly = Set(pulled.users.filter { $0.accountType == "Read-Only User" }.map(\.account))
        #expect(readOnly == ["alice", "bob", "jsmith", "rnd1"])
    }

    @Test func memberValuesAreReadAsTheServerReadsThem() throws {
        let pulled = try pull(settings())
        // An LDAPv2 quoted value and an unescaped '=' (both in staff, above), and a uniqueMember
        // with its optional UID.
        #expect(try members(pulled, of: "cn=unique,ou=Groups,\(Self.real)") == ["carol"])
    }

    @Test func memberUidGroupsByNameAndByNumberAndWhatDidNotResolve() throws {
        let pulled = try pull(settings())
        #expect(try members(pulled, of: "cn=developers,ou=Groups,\(Self.real)") == ["alice", "carol"])
        #expect(try members(pulled, of: "cn=operators,ou=Groups,\(Self.real)") == ["bob"])
        let developers = try groupId(pulled, dn: "cn=developers,ou=Groups,\(Self.real)")
        let operators = try groupId(pulled, dn: "cn=operators,ou=Groups,\(Self.real)")
        let notFound = pulled.notices.filter { $0.code == .memberNotFound }
        #expect(notFound.contains { $0.key == developers && $0.message.contains("'ghost'") && $0.message.contains("no user in scope has that 'uid'") })
        #expect(notFound.contains { $0.key == operators && $0.message.contains("'1999'") && $0.message.contains("uidNumber") })
    }

    @Test func danglingOutOfBaseAndAliasMembersAreReportedNotDropped() throws {
        let pulled = try pull(settings())
        let mixedDN = "cn=mixed,ou=Groups,\(Self.real)"
        #expect(try members(pulled, of: mixedDN) == ["alice"])
        #expect(pulled.unresolvedMembers[mixedDN] == 3)
        let mixed = try groupId(pulled, dn: mixedDN)
        let messages = pulled.notices.filter { $0.code == .memberNotFound && $0.key == mixed }.map(\.message)
        #expect(messages.count == 3)
        #expect(messages.contains { $0.contains("uid=nobody") && $0.contains("no user or group in scope has that DN") })
        #expect(messages.contains { $0.contains("uid=outsider") && $0.contains("outside source.users.base") })
        #expect(messages.contains { $0.contains("uid=alice-alias") && $0.contains("alias") })
        #expect(pulled.unresolvedMembers.count == 3)  // mixed, developers, operators
        #expect(pulled.notices.allSatisfy { $0.code?.isWarning == true })
    }

    @Test func aliasesAreNeverUsersAndAreReportedByDN() throws {
        let pulled = try pull(settings(filter: "(uid=*)"))
        #expect(pulled.users.filter { $0.account == "alice" }.count == 1)
        #expect(pulled.users.count == 7)
        let skipped = pulled.notices.filter { $0.code == .entrySkipped }
        #expect(skipped.map(\.key) == ["uid=alice-alias,\(Self.people)"])
        #expect(skipped.first?.message.contains("points to uid=alice,\(Self.people)") == true)
    }

    @Test func dereferencingIsTheConfigsSetting() throws {
        // ou=Staff is an alias of ou=People: never (the default) reads nothing under it; finding
        // follows it to the people.
        let staff = "ou=Staff,\(Self.real)"
        #expect(try pull(settings(base: staff, groupBase: Self.people)).users.isEmpty)
        var finding = settings(base: staff, groupBase: Self.people)
        finding.connection.derefAliases = .finding
        #expect(try pull(finding).users.count == 7)
    }

    @Test func groupsAreNamedByTheirRDNAndToldApartByTheirDN() throws {
        let pulled = try pull(settings(placement: .underOU))
        #expect(pulled.groups.contains { $0.name == "newsfeeds" })
        #expect(!pulled.groups.contains { $0.name == "bookmarks" })
        let named = pulled.groups.filter { $0.name == "A" }
        #expect(Set(named.compactMap { $0.thirdParty["ldapDN"] }) == [
            "cn=A,\(Self.people)", "cn=A,ou=newsfeeds,\(Self.real)", "cn=A,ou=Groups,\(Self.real)",
        ])
        #expect(Set(named.map(\.groupId)).count == 3)
        // under-ou: a group object sits under the OU group that contains it.
        let newsfeeds = try groupId(pulled, dn: "ou=newsfeeds,\(Self.real)")
        #expect(named.first { $0.thirdParty["ldapDN"] == "cn=A,ou=newsfeeds,\(Self.real)" }?.parentGroupId == newsfeeds)
        let flat = try pull(settings())
        #expect(flat.groups.filter { $0.name == "A" }.allSatisfy { $0.parentGroupId.isEmpty })
    }

    @Test func groupIdentityIsItsOwnSettingAndAFallbackIsReported() throws {
        let defaults = try pull(settings())
        #expect(defaults.groups.allSatisfy { $0.externalId.count == 36 })  // entryUUID, whatever the user mapping
        var custom = settings()
        custom.users.map.externalId = "employeeNumber"
        #expect(try pull(custom).groups.map(\.groupId) == defaults.groups.map(\.groupId))

        custom.groups.externalId = "description"
        let fallback = try pull(custom)
        #expect(fallback.groups.contains { $0.groupId == "grp-staff-id" })
        let notices = fallback.notices.filter { $0.code == .identityFallback }
        #expect(notices.contains { $0.key == "cn=mixed,ou=Groups,\(Self.real)" && $0.message.contains("has no 'description'") })
    }

    @Test func twoEntriesWithOneAccountAreNamedByDNInTheRun() throws {
        let pulled = try pull(settings())
        let plan = SyncPlanner(policy: SyncPolicy()).plan(users: pulled.users, groups: pulled.groups, state: AccountState())
        let duplicate = try #require(plan.items.first { $0.code == .duplicateAccount })
        #expect(duplicate.message.contains("uid=dev3,\(Self.people)"))
        #expect(duplicate.message.contains("cn=Dev Three Again,ou=R\\3DD,\(Self.people)"))
    }

    @Test func referralsFailNamingTheEntryOrAreSkippedAndReported() throws {
        let branch = "ou=Branch,dc=example,dc=com"
        let failing = settings(base: branch, groupBase: branch)
        #expect {
            try self.pull(failing)
        } throws: { error in
            let message = "\(error)"
            return (error as? LDAPError)?.kind == .referral && message.contains("ou=Remote,\(branch) → ldap://remote.example.com/ou=Remote,dc=example,dc=com")
                && message.contains("source.referrals: skip")
        }
        var skipping = failing
        skipping.referrals = .skip
        let pulled = try pull(skipping)
        #expect(pulled.users.map(\.account) == ["local1"])
        let skipped = pulled.notices.filter { $0.code == .referenceSkipped }
        #expect(skipped.count == 1)
        #expect(skipped.first?.message.contains("ldap://remote.example.com/ou=Remote,dc=example,dc=com") == true)
    }
}
