import AccountSyncConfig
import DirectoryConnector
import Foundation
import LDAPClient
import SlapdFixture
import SyncCore
import Testing

/// Active Directory behaviour against a real AD-compatible server: Samba's AD DC from Debian,
/// provisioned by the test (one domain controller for all the checks, stopped at the end).
@Suite("Active Directory against Samba's AD DC", .serialized)
struct ActiveDirectoryTests {
    @Test(.enabled(if: SambaDC.isAvailable, "needs root and Debian's samba-ad-dc (installed by .ci/run)"))
    func activeDirectoryBehaviour() throws {
        let dc = try SambaDC()
        let tls = TLSOptions(caFile: dc.caFile)

        // LDAPS verifies with the CA that signed the DC's certificate, and fails without it.
        let ldap = try LDAPConnection(LDAPConnectionOptions(uris: [dc.ldapsURI], tls: tls, networkTimeout: 5))
        try ldap.bind(.simple(dn: dc.adminDN, password: dc.adminPassword))
        #expect(ldap.isEncrypted)
        #expect {
            try LDAPConnection(LDAPConnectionOptions(uris: [dc.ldapsURI], networkTimeout: 5)).bind(.simple(dn: dc.adminDN, password: dc.adminPassword))
        } throws: { ($0 as? LDAPError)?.kind == .tlsFailed }

        // A simple bind over plain ldap:// is refused by the DC itself (strong auth required).
        #expect {
            try LDAPConnection(LDAPConnectionOptions(uris: [dc.ldapURI], allowInsecureBind: true, networkTimeout: 5)).bind(.simple(dn: dc.adminDN, password: dc.adminPassword))
        } throws: { ($0 as? LDAPError)?.kind == .strongAuthRequired }

        // A wrong password names AD's sub-code in plain words.
        let wrongPassword = bindFailure(LDAPConnectionOptions(uris: [dc.ldapsURI], tls: tls, networkTimeout: 5), dn: dc.adminDN, password: "wrong")
        #expect(wrongPassword?.kind == .invalidCredentials)
        #expect(wrongPassword?.message.contains("52e: wrong password") == true, "\(String(describing: wrongPassword))")

        // The three ways AD admins write a bind name, each read from a config file with the
        // active-directory profile and used for a real pull: a DN, a UPN and a down-level name.
        for name in [dc.adminDN, "Administrator@test.lan", "TEST\\Administrator"] {
            let yaml = """
                sync: { users: { dataset: people }, groups: { dataset: org } }
                source:
                  profile: active-directory
                  uri: \(dc.ldapsURI)
                  tls: { caFile: \(dc.caFile) }
                  bind: { dn: '\(name)', passwordEnv: AD_TEST_PASSWORD }
                  users: { base: "OU=Groups,OU=Corp,\(dc.suffix)" }
                """
            let source = try #require(try ConfigLoader.parse(yaml, file: "ad.yaml").source, "\(name)")
            #expect(source.bindDN == name)
            #expect(throws: Never.self, "\(name)") { try DirectoryPuller(settings: source).pull(password: dc.adminPassword) }
        }
        let wrongUPN = bindFailure(LDAPConnectionOptions(uris: [dc.ldapsURI], tls: tls, networkTimeout: 5), dn: "Administrator@test.lan", password: "wrong")
        #expect(wrongUPN?.kind == .invalidCredentials)

        // Ranged retrieval: asked for ranges explicitly (Samba only ranges when asked), the client
        // follows them to the end.
        for size in [500, 1_000, 1_500] {
            #expect(try ldap.allValues(of: "member", dn: dc.bigGroupDN, rangeSize: size).count == dc.bigGroupSize, "range size \(size)")
        }

        // The active-directory profile: paged pull of every user, objectGUID as a GUID string,
        // disabled from userAccountControl, nested OUs, and the big group's memberships.
        var users = DirectoryProfile.activeDirectory.defaultUsers(base: "OU=Corp,\(dc.suffix)")
        users.map.name = "displayName"
        let settings = DirectorySettings(
            profile: .activeDirectory, connection: LDAPConnectionOptions(uris: [dc.ldapsURI], tls: tls, networkTimeout: 5),
            bindDN: dc.adminDN, pageSize: 300, users: users,
            groups: DirectoryProfile.activeDirectory.defaultGroups(base: "OU=Corp,\(dc.suffix)", from: .both))
        let pulled = try DirectoryPuller(settings: settings).pull(password: dc.adminPassword)
        #expect(pulled.users.count == dc.userCount)
        #expect(pulled.users.filter(\.disabled).count == dc.userCount / 10)
        #expect(pulled.users.first { $0.account == "user0" }?.disabled == true)
        #expect(pulled.users.first { $0.account == "user1" }?.disabled == false)
        let guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
        #expect(pulled.users.allSatisfy { $0.externalId.wholeMatch(of: guid) != nil })
        #expect(Set(pulled.users.map(\.externalId)).count == dc.userCount)
        let groups = Dictionary(pulled.groups.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(groups["Team Zürich"]?.parentGroupId == groups["Sales, EMEA"]?.groupId)
        #expect(groups["Sales, EMEA"]?.parentGroupId == groups["Corp"]?.groupId)
        let bigGroup = try #require(groups["All Staff"])
        #expect(pulled.users.filter { $0.groupIds.contains(bigGroup.groupId) }.count == dc.bigGroupSize)
        #expect(pulled.users.first { $0.account == "user5" }?.name == "User Number 5")

        // Same-named groups in different OUs are told apart by their DN; a member outside the
        // base is reported, not silently dropped.
        let teams = pulled.groups.filter { $0.name == "Team" }
        #expect(Set(teams.compactMap { $0.thirdParty["ldapDN"] }) == ["CN=Team,OU=Groups,OU=Corp,\(dc.suffix)", "CN=Team,OU=Sales\\, EMEA,OU=Corp,\(dc.suffix)"])
        let groupsTeam = try #require(teams.first { $0.thirdParty["ldapDN"]?.hasPrefix("CN=Team,OU=Groups") == true })
        #expect(pulled.users.filter { $0.groupIds.contains(groupsTeam.groupId) }.map(\.account) == ["user3"])
        #expect(pulled.notices.contains { $0.code == .memberNotFound && $0.key == groupsTeam.groupId && $0.message.contains("CN=Administrator,CN=Users") && $0.message.contains("outside source.users.base") })

        // The most common AD setting: the domain root as the base. The references to the forest's
        // other partitions are reported once and ignored; the pull completes.
        var root = settings
        root.users = DirectoryProfile.activeDirectory.defaultUsers(base: dc.suffix)
        root.groups = DirectoryProfile.activeDirectory.defaultGroups(base: dc.suffix, from: .both)
        let fromRoot = try DirectoryPuller(settings: root).pull(password: dc.adminPassword)
        #expect(fromRoot.users.count > dc.userCount)  // the domain's built-in accounts too
        let skipped = fromRoot.notices.filter { $0.code == .referenceSkipped }
        #expect(!skipped.isEmpty)
        #expect(skipped.allSatisfy { $0.message.contains("another naming context") })
        #expect(Set(skipped.map(\.key)).count == skipped.count)
        // With the openldap profile's rules the same references fail the pull, naming them.
        var strict = root
        strict.profile = .openldap
        #expect { try DirectoryPuller(settings: strict).pull(password: dc.adminPassword) } throws: { ($0 as? LDAPError)?.kind == .referral }
    }

    /// The error a simple bind ends with, or nil when it succeeds.
    func bindFailure(_ options: LDAPConnectionOptions, dn: String, password: String) -> LDAPError? {
        do {
            try LDAPConnection(options).bind(.simple(dn: dn, password: password))
            return nil
        } catch {
            return error
        }
    }
}
