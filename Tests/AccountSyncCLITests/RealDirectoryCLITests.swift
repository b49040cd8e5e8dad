import Foundation
import SlapdFixture
import Testing

/// The real-world directory through the binary: warnings said once, dereferencing that no host
/// setting changes, an alias as the base, members not found as warning items of a successful run,
/// and what a mapping change would do.
@Suite("account-sync against a real-world directory (real slapd)", .serialized)
final class RealDirectoryCLITests {
    let slapd: Slapd
    let cli: CLI

    init() throws {
        slapd = try Slapd(ldif: realWorldDirectory)
        cli = try CLI()
        try configure()
    }

    func configure(base: String = "ou=People,ou=Real,dc=example,dc=com", filter: String = "(uid=*)", groupIdentity: String = "entryUUID") throws {
        let passwordFile = cli.folder.appendingPathComponent("bind.pw").path
        FileManager.default.createFile(atPath: passwordFile, contents: Data("\(slapd.adminPassword)\n".utf8), attributes: [.posixPermissions: 0o600])
        try """
            store: { path: store.sqlite }
            source:
              uri: "\(slapd.uri)"
              allowInsecureBind: true
              bind: { dn: "\(slapd.adminDN)", passwordFile: \(passwordFile) }
              users: { base: "\(base)", filter: "\(filter)", disabledFilter: "" }
              groups: { from: both, base: "ou=Real,dc=example,dc=com", externalId: \(groupIdentity) }
            sync:
              users: { dataset: directory-users }
              groups: { dataset: directory-groups }
              safeguard: { maxUserDeletions: 10, maxGroupDeletions: 100 }
            """.write(toFile: cli.configPath, atomically: true, encoding: .utf8)
    }

    @Test func aRunWithMembersNotFoundSucceedsAndListsThemAsWarnings() throws {
        let result = try cli.run("run")
        // Dev3/dev3 collide (DUPLICATE_ACCOUNT): partially failed; the warnings do not count.
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Warnings about the source"))
        #expect(result.stdout.contains("MEMBER_NOT_FOUND"))
        #expect(result.stdout.contains("ENTRY_SKIPPED"))
        #expect(result.stdout.contains("Failed new users (2):"))
        let (_, run) = try cli.json("history", "show", "1", "--json")
        let counts = try #require(run["counts"] as? [String: Int])
        #expect(counts["usersFailedNew"] == 2 && counts["usersCreated"] == 5)
        let groups = try cli.run("groups", "list").stdout
        #expect(groups.contains("cn=A,ou=newsfeeds,ou=Real,dc=example,dc=com"))
    }

    @Test func pullSaysEachWarningOnceAsAWarning() throws {
        let result = try cli.run("pull")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("error:"))
        #expect(result.stderr.components(separatedBy: "uid=alice-alias,ou=People,ou=Real,dc=example,dc=com: an alias entry").count == 2)
        #expect(result.stderr.contains("account-sync: warning: cn=mixed,ou=Groups,ou=Real,dc=example,dc=com: 3 members not found"))
    }

    @Test func noHostSettingChangesDereferencingAndAnAliasBaseIsSaidPlainly() throws {
        try configure(base: "ou=Staff,ou=Real,dc=example,dc=com", filter: "(objectClass=inetOrgPerson)")
        // libldap reads $LDAPDEREF (like /etc/ldap/ldap.conf); the config's setting wins.
        let check = try cli.run(["test-bind"], environment: ["LDAPDEREF": "always"])
        #expect(check.status == 69)
        #expect(check.stdout.contains("FAIL base      source.users.base ou=Staff,ou=Real,dc=example,dc=com is an alias entry pointing to ou=People,ou=Real,dc=example,dc=com"), "\(check.stdout)")
        let pull = try cli.run(["pull", "--output", cli.folder.appendingPathComponent("out").path], environment: ["LDAPDEREF": "always"])
        #expect(pull.stdout.contains("wrote 0 users"))
    }

    @Test func configValidateSaysWhatAMappingChangeWillDo() throws {
        #expect(try cli.run("pull").status == 0)
        try configure(groupIdentity: "description")
        let result = try cli.run("config", "validate")
        #expect(result.status == 0)
        #expect(result.stdout.contains("source.groups.externalId was 'entryUUID' at the last pull and is 'description' now: every group id changes"))
    }
}
