import Foundation
import SlapdFixture
import Testing

@Suite("account-sync with a directory source (real slapd)", .serialized)
final class DirectoryCLITests {
    let slapd: Slapd
    let cli: CLI

    init() throws {
        slapd = try Slapd(ldif: sampleOrganisation)
        cli = try CLI()
        try configure(bindDN: slapd.adminDN, password: slapd.adminPassword)
    }

    func configure(bindDN: String, password: String, maxUserDeletions: Int = 10, filter: String = "(objectClass=inetOrgPerson)", externalId: String = "entryUUID", account: String = "uid") throws {
        let passwordFile = cli.folder.appendingPathComponent("bind.pw").path
        FileManager.default.createFile(atPath: passwordFile, contents: Data("\(password)\n".utf8), attributes: [.posixPermissions: 0o600])
        try """
            store: { path: store.sqlite }
            source:
              kind: ldap
              profile: openldap
              uri: [ "ldap://127.0.0.1:\(try Slapd.freePort())", "\(slapd.uri)" ]
              allowInsecureBind: true
              bind: { dn: "\(bindDN)", passwordFile: \(passwordFile) }
              pageSize: 2
              users:
                base: "ou=Acme,dc=example,dc=com"
                filter: "\(filter)"
                map: { externalId: \(externalId), account: \(account) }
                disabledFilter: "(employeeType=disabled)"
                accountType:
                  rules: [ { memberOf: "cn=admins,ou=Groups,dc=example,dc=com", type: Administrator } ]
              groups: { from: both, base: "dc=example,dc=com" }
            sync:
              users: { dataset: directory-users }
              groups: { dataset: directory-groups }
              safeguard: { maxUserDeletions: \(maxUserDeletions), maxGroupDeletions: 10 }
            """.write(toFile: cli.configPath, atomically: true, encoding: .utf8)
    }

    @Test func aSearchThatFindsNobodyIsSourceEmptyEverywhere() throws {
        #expect(try cli.run("run").status == 2)  // applied; the entry without a uid fails
        // The same directory, seen through a filter that matches nobody (as a bind account that
        // lost read access would see it).
        try configure(bindDN: slapd.adminDN, password: slapd.adminPassword, filter: "(employeeType=nobody)")
        let check = try cli.run("test-bind")
        #expect(check.stdout.contains("warning: SOURCE_EMPTY: the directory returned no users under base ou=Acme,dc=example,dc=com with filter (employeeType=nobody)"), "\(check.stdout)")
        let pull = try cli.run("pull")
        #expect(pull.status == 69)
        #expect(pull.stderr.contains("Nothing was stored"))
        let before = try cli.run("users", "list", "--json").stdout
        let run = try cli.run("run")
        #expect(run.status == 3)
        #expect(run.stdout.contains("SOURCE_EMPTY"))
        #expect(run.stdout.contains("under base ou=Acme,dc=example,dc=com with filter (employeeType=nobody)"))
        #expect(try cli.run("users", "list", "--json").stdout == before)
    }

    @Test func anEntryThatLostItsAccountAttributeIsNotTakenForADeparture() throws {
        // Accounts from mail, and an identity attribute the entries lack: users are matched by
        // account, then by DN.
        try configure(bindDN: slapd.adminDN, password: slapd.adminPassword, externalId: "employeeNumber", account: "mail")
        #expect(try cli.run("run").status == 2)
        try slapd.modify("dn: uid=alice,ou=Sales\\2C EMEA,ou=Acme,dc=example,dc=com\nchangetype: modify\ndelete: mail\n")
        let result = try cli.run("run")
        #expect(result.status == 2)
        #expect(result.stdout.contains("Failed updated users (1):"), "\(result.stdout)")
        #expect(result.stdout.contains("uid=alice,ou=Sales\\2C EMEA,ou=Acme,dc=example,dc=com  MISSING_REQUIRED_FIELD"))
        #expect(!result.stdout.contains("Users disabled during deletion"))
        #expect(try cli.run("users", "show", "alice@example.com").stdout.contains("enabled"))
    }

    @Test func testBindReportsEachStepAndTheMappedUsers() throws {
        let result = try cli.run("test-bind")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("ok   bind      bound as cn=admin,dc=example,dc=com"))
        #expect(result.stdout.contains("paged results: supported"))
        #expect(result.stdout.contains("4 users under ou=Acme,dc=example,dc=com"))
        #expect(result.stdout.contains("alice"))
        #expect(result.stdout.contains("warning: cn=nouid,ou=Acme,dc=example,dc=com"))
        #expect(!result.stdout.contains(slapd.adminPassword) && !result.stderr.contains(slapd.adminPassword))
    }

    @Test func testBindExplainsAWrongPassword() throws {
        try configure(bindDN: slapd.adminDN, password: "not-the-password")
        let result = try cli.run("test-bind")
        #expect(result.status == 69)
        #expect(result.stdout.contains("FAIL bind"))
        #expect(result.stdout.contains("Invalid credentials"))
        #expect(result.stdout.contains("hint:"))
        #expect(!result.stdout.contains("not-the-password"))
    }

    @Test func runPullsThenSyncsAndReportsTheUnmappableEntryByDN() throws {
        let result = try cli.run("run")
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("cn=nouid,ou=Acme,dc=example,dc=com  MISSING_REQUIRED_FIELD"))
        let users = try cli.run("users", "list").stdout
        #expect(users.contains("alice") && users.contains("Administrator"))
        #expect(users.contains("disabled (by the source)"))
        let groups = try cli.run("groups", "list").stdout
        #expect(groups.contains("Acme  [ou-"))
        #expect(groups.contains("  Sales, EMEA  [ou-"))
        #expect(groups.contains("labs-team"))
    }

    @Test func anIncompletePullFailsTheRunWithSourceIncompleteAndChangesNothing() throws {
        #expect(try cli.run("run").status == 2)
        let before = try cli.run("users", "list", "--json").stdout
        // The users go into the store as they are pulled: a pull cut short must leave none of them.
        let datasetBefore = try cli.run("datasets", "show", "directory-users", "--json", "--limit", "1000").stdout
        var ldif = ""
        for index in 0..<120 {
            ldif += "dn: uid=extra\(index),ou=Acme,dc=example,dc=com\nchangetype: add\nobjectClass: inetOrgPerson\nuid: extra\(index)\ncn: Extra\nsn: E\n\n"
        }
        try slapd.modify(ldif)
        try configure(bindDN: slapd.readerDN, password: slapd.readerPassword, maxUserDeletions: 1000)
        let result = try cli.run("run")
        #expect(result.status == 1)
        #expect(result.stdout.contains("SOURCE_INCOMPLETE"))
        #expect(result.stdout.contains("size limit"))
        #expect(try cli.run("users", "list", "--json").stdout == before)
        #expect(try cli.run("datasets", "show", "directory-users", "--json", "--limit", "1000").stdout == datasetBefore)
        #expect(!datasetBefore.contains("extra1"))
    }

    @Test func pullWritesJSONLinesThatImportReads() throws {
        let folder = cli.folder.appendingPathComponent("pulled").path
        let result = try cli.run("pull", "--output", folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote 4 users"))
        #expect(try cli.run("datasets", "import", "--kind", "users", "copy", folder + "/users.jsonl").status == 0)
        #expect(try cli.run("datasets", "import", "--kind", "groups", "copy-groups", folder + "/groups.jsonl").status == 0)
        #expect(try cli.run("datasets", "show", "copy").stdout.contains("alice"))
    }

    /// `pull --output` writes the users as they come, into a temporary file that becomes
    /// users.jsonl only when the pull is complete: a pull that fails leaves the earlier files.
    @Test func aFailedPullLeavesTheEarlierOutputAsItWas() throws {
        let folder = cli.folder.appendingPathComponent("pulled").path
        #expect(try cli.run("pull", "--output", folder).status == 0)
        let before = try String(contentsOfFile: folder + "/users.jsonl", encoding: .utf8)
        #expect(before.split(separator: "\n").count == 4)

        try configure(bindDN: slapd.adminDN, password: "wrong")
        let failed = try cli.run("pull", "--output", folder)
        #expect(failed.status == 69, "\(failed.stderr)")
        #expect(failed.stderr.contains("the directory pull did not finish"), "\(failed.stderr)")
        #expect(try String(contentsOfFile: folder + "/users.jsonl", encoding: .utf8) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["groups.jsonl", "users.jsonl"])
    }

    @Test func logsNeverHoldThePasswordInAnyFormat() throws {
        for format in ["text", "json"] {
            let result = try cli.run("run", "--log-level", "trace", "--log-format", format)
            #expect(result.stderr.contains("pulled 4 users"), "\(result.stderr)")
            #expect(!result.stderr.contains(slapd.adminPassword))
            #expect(!result.stdout.contains(slapd.adminPassword))
            if format == "json" {
                for line in result.stderr.split(separator: "\n") {
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                    #expect(object?["level"] != nil && object?["message"] != nil, "not a JSON log line: \(line)")
                }
            }
        }
        let journald = try cli.run(["run", "--log-level", "info"], environment: ["JOURNAL_STREAM": "8:12345"])
        #expect(journald.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("<") }, "\(journald.stderr)")
        #expect(journald.stderr.contains("<5>notice: run #"))
        #expect(journald.stderr.contains("finished: partially_failed"))
    }

    @Test func aPasswordFileOthersCanReadIsWarnedAbout() throws {
        let passwordFile = cli.folder.appendingPathComponent("bind.pw").path
        #expect(!(try cli.run("test-bind").stderr.contains("can be read by")))
        chmod(passwordFile, 0o644)
        let result = try cli.run("test-bind")
        #expect(result.status == 0)
        #expect(result.stderr.contains("can be read by every user on this machine (mode 644); run: chmod 600"))
    }
}
