import DirectoryConnector
import Foundation
import LDAPClient
import SlapdFixture
import SyncCore
import Testing

@Suite("Directory pulls from a real slapd", .serialized)
final class DirectoryPullerTests {
    let slapd: Slapd

    init() throws {
        slapd = try Slapd(ldif: sampleOrganisation)
    }

    func settings(from: GroupSearch.Source = .both, bindDN: String? = nil) -> DirectorySettings {
        var users = DirectoryProfile.openldap.defaultUsers(base: "ou=Acme,\(slapd.suffix)")
        users.disabledFilter = "(employeeType=disabled)"
        users.accountType = AccountTypeRules(rules: [.init(memberOf: "cn=admins,ou=Groups,\(slapd.suffix)", type: "Administrator")])
        var groups = DirectoryProfile.openldap.defaultGroups(base: slapd.suffix, from: from)
        groups.base = slapd.suffix
        return DirectorySettings(
            profile: .openldap, connection: LDAPConnectionOptions(uris: [slapd.uri], allowInsecureBind: true, networkTimeout: 3),
            bindDN: bindDN ?? slapd.adminDN, pageSize: 2, users: users, groups: groups)
    }

    func pull(_ settings: DirectorySettings) throws -> PulledDatasets {
        try DirectoryPuller(settings: settings).pull(password: settings.bindDN == slapd.adminDN ? slapd.adminPassword : slapd.readerPassword)
    }

    @Test func ouTreeBecomesGroupsWithParentsAndStableIds() throws {
        var config = settings(from: .ouTree)
        config.groups.base = "ou=Acme,\(slapd.suffix)"
        let pulled = try pull(config)
        let byName = Dictionary(uniqueKeysWithValues: pulled.groups.map { ($0.name, $0) })
        #expect(Set(byName.keys) == ["Acme", "Sales, EMEA", "Forschung Zürich", "Labs"])
        #expect(byName["Acme"]?.parentGroupId == "")
        #expect(byName["Sales, EMEA"]?.parentGroupId == byName["Acme"]?.groupId)
        #expect(byName["Labs"]?.parentGroupId == byName["Forschung Zürich"]?.groupId)
        #expect(pulled.groups.allSatisfy { $0.groupId.hasPrefix("ou-") && $0.externalId.count == 36 })
        let alice = try #require(pulled.users.first { $0.account == "alice" })
        #expect(alice.groupIds == [byName["Sales, EMEA"]!.groupId])
    }

    @Test func usersAreMappedWithTypeDisabledExternalIdAndDN() throws {
        let pulled = try pull(settings())
        let alice = try #require(pulled.users.first { $0.account == "alice" })
        #expect(alice.name == "Alice Smith")
        #expect(alice.email == "alice@example.com")
        #expect(alice.mobile == "+44 7700 900001")
        #expect(alice.accountType == "Administrator")
        #expect(alice.externalId.count == 36)
        #expect(alice.thirdParty["ldapDN"] == "uid=alice,ou=Sales\\2C EMEA,ou=Acme,dc=example,dc=com")
        let bob = try #require(pulled.users.first { $0.account == "bob" })
        #expect(bob.disabled)
        #expect(bob.accountType == "Regular User")
        #expect(pulled.users.first { $0.account == "carol" }?.disabled == false)
    }

    @Test func nestedGroupMembershipIsResolved() throws {
        let pulled = try pull(settings(from: .groupObjects))
        let ids = Dictionary(uniqueKeysWithValues: pulled.groups.map { ($0.name, $0.groupId) })
        #expect(Set(ids.keys) == ["admins", "engineering", "labs-team"])
        let bob = try #require(pulled.users.first { $0.account == "bob" })
        #expect(Set(bob.groupIds) == [ids["engineering"]!, ids["labs-team"]!])
    }

    @Test func entryWithoutAnAccountIsReportedByDNNotDropped() throws {
        let pulled = try pull(settings())
        #expect(pulled.problems.count == 1)
        #expect(pulled.problems.first?.contains("cn=nouid,ou=Acme,dc=example,dc=com") == true)
        #expect(pulled.users.contains { $0.account.isEmpty && $0.thirdParty["ldapDN"] == "cn=nouid,ou=Acme,dc=example,dc=com" })
    }

    @Test func renamedOUKeepsItsGroupId() throws {
        var config = settings(from: .ouTree)
        config.groups.base = "ou=Acme,\(slapd.suffix)"
        let before = try pull(config).groups.first { $0.name == "Labs" }
        try slapd.modify("""
            dn: ou=Labs,ou=Forschung Zürich,ou=Acme,dc=example,dc=com
            changetype: modrdn
            newrdn: ou=Laboratories
            deleteoldrdn: 1

            """)
        let after = try pull(config).groups.first { $0.name == "Laboratories" }
        #expect(before != nil)
        #expect(after?.groupId == before?.groupId)
    }

    @Test func aPullOverTheSizeLimitThrowsInsteadOfReturningPart() throws {
        // The reader sees at most 100 entries; make the users more than that.
        var ldif = ""
        for index in 0..<120 {
            ldif += "dn: uid=extra\(index),ou=Acme,dc=example,dc=com\nchangetype: add\nobjectClass: inetOrgPerson\nuid: extra\(index)\ncn: Extra\nsn: E\n\n"
        }
        try slapd.modify(ldif)
        #expect {
            try self.pull(self.settings(bindDN: self.slapd.readerDN))
        } throws: { ($0 as? LDAPError)?.kind == .sizeLimitExceeded }
        #expect(try pull(settings()).users.count == 124)
    }

    @Test func memberOfFromTheOverlayDrivesAccountTypeWithoutPullingGroupObjects() throws {
        // The memberof overlay maintains memberOf for groups added over LDAP (slapadd bypasses it).
        try slapd.modify("""
            dn: cn=reviewers,ou=Groups,dc=example,dc=com
            changetype: add
            objectClass: groupOfNames
            cn: reviewers
            member: uid=carol,ou=Acme,dc=example,dc=com

            """)
        var config = settings(from: .ouTree)
        config.groups.base = "ou=Acme,\(slapd.suffix)"
        config.users.accountType = AccountTypeRules(defaultType: "Read-Only User", rules: [.init(memberOf: "CN=Reviewers,OU=Groups,DC=example,DC=com", type: "Administrator")])
        let pulled = try pull(config)
        #expect(pulled.users.first { $0.account == "carol" }?.accountType == "Administrator")
        #expect(pulled.users.first { $0.account == "alice" }?.accountType == "Read-Only User")
    }

    @Test func objectGUIDIsFormattedCanonically() {
        let bytes: [UInt8] = [0xe0, 0x04, 0x25, 0x3f, 0x89, 0x4f, 0xd3, 0x11, 0x9a, 0x0c, 0x03, 0x05, 0xe8, 0x2c, 0x33, 0x01]
        #expect(ActiveDirectory.guidString(bytes) == "3f2504e0-4f89-11d3-9a0c-0305e82c3301")
        #expect(ActiveDirectory.guidString([1, 2]) == nil)
    }
}
