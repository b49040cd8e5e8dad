import AccountSyncConfig
import Foundation
import SyncCore
import Testing

@Suite("config.yaml: the safeguard and AD bind names")
struct SafeguardConfigTests {
    func parse(_ safeguard: String) throws(ConfigError) -> DeletionSafeguard {
        try ConfigLoader.parse("sync:\n  users: { dataset: people }\n  safeguard:\n\(safeguard)", file: "/c.yaml").policy.safeguard
    }

    func problems(_ text: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(text, file: "/c.yaml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func everyKeyOfTheSafeguardIsRead() throws {
        let safeguard = try parse("""
                maxUserDeletions: 500
                maxGroupDeletions: 50
                maxUserDeletionPercent: 12.5
                maxGroupDeletionPercent: 30%
                window: { days: 7, maxUserDeletions: 2000, maxGroupDeletions: 200 }
                maxMembershipRemovalsPerGroup: 1000
                protect: { administrators: false, accounts: [ceo, root], groups: [board] }
                deletedUsers: disable
                purgeAfterDays: 90
            """)
        #expect(safeguard.maxUserDeletions == 500 && safeguard.maxGroupDeletions == 50)
        #expect(safeguard.maxUserDeletionPercent == 12.5 && safeguard.maxGroupDeletionPercent == 30)
        #expect(safeguard.window == DeletionWindow(days: 7, maxUserDeletions: 2000, maxGroupDeletions: 200))
        #expect(safeguard.maxMembershipRemovalsPerGroup == 1000)
        #expect(safeguard.protection == Protection(administrators: false, accounts: ["ceo", "root"], groups: ["board"]))
        #expect(safeguard.purgeAfterDays == 90)
    }

    @Test func theDefaultsProtectAdministratorsAndLimitToTwentyPercent() throws {
        let safeguard = try parse("    deletedUsers: disable\n")
        #expect(safeguard.protection.administrators)
        #expect(safeguard.maxUserDeletionPercent == 20 && safeguard.maxGroupDeletionPercent == 20)
        #expect(safeguard.window == nil && safeguard.purgeAfterDays == nil && safeguard.maxMembershipRemovalsPerGroup == nil)
    }

    @Test func badValuesAreNamedByTheirKeyPath() {
        let found = problems("""
            sync:
              users: { dataset: people }
              safeguard:
                maxUserDeletionPercent: 120
                window: { maxUserDeletions: 5 }
                protect: { administrator: true }
                deletedUsers: remove
                purgeAfterDays: 30
            """)
        #expect(found.contains { $0.contains("sync.safeguard.maxUserDeletionPercent: '120' is not a percentage from 0 to 100") })
        #expect(found.contains { $0.contains("sync.safeguard.window.days: missing") })
        #expect(found.contains { $0.contains("sync.safeguard.protect.administrator: unknown key (did you mean 'administrators'?)") })
        #expect(found.contains { $0.contains("sync.safeguard.purgeAfterDays: only applies with deletedUsers: disable") })
    }

    func source(profile: String, bind: String) -> String {
        """
        sync: { users: { dataset: people }, groups: { dataset: org } }
        source:
          profile: \(profile)
          uri: ldaps://dc1.corp.example.com
          bind: { dn: '\(bind)', passwordEnv: BIND_PW }
          users: { base: "OU=People,DC=corp,DC=example,DC=com" }
        """
    }

    @Test(arguments: ["CN=svc-sync,OU=Service,DC=corp,DC=example,DC=com", "svc-sync@corp.example.com", "CORP\\svc-sync"])
    func activeDirectoryTakesADNAUPNOrADownLevelName(name: String) throws {
        let config = try ConfigLoader.parse(source(profile: "active-directory", bind: name), file: "/c.yaml")
        #expect(config.source?.bindDN == name)
    }

    @Test(arguments: [
        ("svc-sync@corp", "the part after '@' of a user principal name must be a DNS domain"),
        ("svc sync@corp.example.com", "the part before '@'"),
        ("svc@corp..example.com", "must be a DNS domain"),
        ("TOOLONGNETBIOSNAME1\\svc", "NetBIOS name of 1 to 15"),
        ("CORP\\svc|sync", "the user part of a down-level name"),
        ("CORP\\", "the user part of a down-level name"),
    ])
    func eachFormIsCheckedForWhatItIs(name: String, message: String) {
        let found = problems(source(profile: "active-directory", bind: name))
        #expect(found.contains { $0.contains("source.bind.dn") && $0.contains(message) }, "\(found)")
    }

    @Test func theDirectorySettingsOfRealDirectoriesAreRead() throws {
        let text = source(profile: "openldap", bind: "cn=svc,dc=example,dc=com") + """

              derefAliases: finding
              referrals: skip
              groups: { from: both, externalId: gidNumber, placement: under-ou, memberUidAttribute: "" }
            """
        let read = try #require(try ConfigLoader.parse(text, file: "/c.yaml").source)
        #expect(read.connection.derefAliases == .finding)
        #expect(read.referrals == .skip)
        #expect(read.groups.externalId == "gidNumber" && read.groups.placement == .underOU && read.groups.memberUidAttribute == nil)
        let defaults = try #require(try ConfigLoader.parse(source(profile: "openldap", bind: "cn=svc,dc=example,dc=com"), file: "/c.yaml").source)
        #expect(defaults.connection.derefAliases == .never && defaults.referrals == .fail && defaults.groups.memberUidAttribute == "memberUid")
        let found = problems(source(profile: "openldap", bind: "cn=svc,dc=example,dc=com") + "\n  derefAliases: sometimes\n  groups: { placement: under-ou }\n")
        #expect(found.contains { $0.contains("source.derefAliases: 'sometimes' is not one of never, searching, finding, always") })
        #expect(found.contains { $0.contains("source.groups.placement: under-ou places group objects under the OU groups, so it needs from: both") })
    }

    @Test func openLDAPStillWantsADN() {
        let found = problems(source(profile: "openldap", bind: "svc-sync@corp.example.com"))
        #expect(found.contains { $0.contains("works only with profile: active-directory") }, "\(found)")
    }
}
