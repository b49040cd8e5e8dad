import Foundation
import GRDB
import SlapdFixture
import Testing

/// Regression tests for the faults found by probing: each reproduces one through the real binary.
@Suite("Hardening: no crash, hang, clear-text password or silent rewrite", .serialized)
struct HardeningCLITests {
    /// A config whose source is `uri`, with the other settings as given.
    func sourceConfig(_ uri: String, extra: String = "", tls: String = "", bind: String = "bind: { dn: \"cn=admin,dc=example,dc=com\", passwordEnv: BIND_PW }") -> String {
        """
        store: { path: store.sqlite }
        source:
          uri: "\(uri)"
          allowInsecureBind: true
          \(bind)
          \(tls)
          timeouts: { network: 2, operation: 5 }
          users: { base: "dc=example,dc=com" }
          \(extra)
        sync:
          users: { dataset: u }
          groups: { dataset: g }
        """
    }

    func mode(_ path: String) throws -> Int {
        ((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? NSNumber)?.intValue ?? -1
    }

    // MARK: Security

    @Test func oneURIStringHoldingTwoIsRefused() throws {
        let cli = try CLI(config: sourceConfig("ldaps://127.0.0.1:1,ldap://127.0.0.1:2"))
        let result = try cli.run("config", "validate")
        #expect(result.status == 78)
        #expect(result.stderr.contains("holds more than one URI"))
    }

    @Test func theRunLockNeverFollowsASymlink() throws {
        let cli = try CLI()
        try cli.importSample()
        let victim = try cli.write("victim.txt", "precious\n")
        try FileManager.default.createSymbolicLink(atPath: cli.storePath + ".lock", withDestinationPath: victim)
        let result = try cli.run("run")
        #expect(result.status == 74)
        #expect(result.stderr.contains("symbolic link"))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
    }

    @Test func personalDataIsPrivateAndTheMetricsFileIsReadable() throws {
        let cli = try CLI(config: CLI.defaultConfig + "\nmetrics: { textfile: account_sync.prom }\n")
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        #expect(try mode(cli.storePath) == 0o600)
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: cli.storePath + suffix) {
            #expect(try mode(cli.storePath + suffix) == 0o600, "\(suffix)")
        }
        #expect(try mode(cli.folder.appendingPathComponent("account_sync.prom").path) == 0o644)
    }

    @Test func aPasswordWrittenWhereItsSourceBelongsIsNeverEchoed() throws {
        let secret = "Tr0ub4dor&3 horse"
        for key in ["passwordEnv", "passwordFile", "credential"] {
            let cli = try CLI(config: sourceConfig("ldap://127.0.0.1:1", bind: "bind: { dn: \"cn=admin,dc=example,dc=com\", \(key): \"\(secret)\" }"))
            let result = try cli.run("config", "validate")
            #expect(result.status == 78, "\(key)")
            #expect(result.stderr.contains("source.bind.\(key) must be"), "\(key): \(result.stderr)")
            #expect(!result.stderr.contains(secret) && !result.stdout.contains(secret), "\(key)")
        }
    }

    // MARK: Crashes

    @Test func aMissingCAFileIsReportedNotACrash() throws {
        let cli = try CLI(config: sourceConfig("ldaps://127.0.0.1:1", tls: "tls: { caFile: /nonexistent/ca.pem }"))
        let validate = try cli.run("config", "validate")
        #expect(validate.status == 78)
        #expect(validate.stderr.contains("source.tls.caFile: /nonexistent/ca.pem does not exist"))
        for command in ["test-bind", "pull"] {
            let result = try cli.run([command], environment: ["BIND_PW": "x"])
            #expect(result.status == 69, "\(command): \(result.status)")
            #expect((result.stdout + result.stderr).contains("/nonexistent/ca.pem does not exist"), "\(command)")
        }
        let run = try cli.run(["run"], environment: ["BIND_PW": "x"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("SOURCE_INCOMPLETE"))
    }

    @Test(arguments: [
        ("timeouts: { network: 9223372036854775807 }", "source.timeouts.network"),
        ("timeouts: { operation: 99999999 }", "source.timeouts.operation"),
        ("pageSize: 3000000000", "source.pageSize"),
    ])
    func numbersOutOfRangeAreConfigErrors(setting: String, key: String) throws {
        let cli = try CLI(config: sourceConfig("ldap://127.0.0.1:1").replacingOccurrences(of: "timeouts: { network: 2, operation: 5 }", with: setting))
        let result = try cli.run("config", "validate")
        #expect(result.status == 78)
        #expect(result.stderr.contains("\(key): '"), "\(result.stderr)")
        #expect(result.stderr.contains("is not a whole number from 1 to"))
    }

    @Test func aServerThatHangsUpIsAnErrorNotSIGPIPE() throws {
        let server = try FakeLDAPServer(.hangUp)
        let cli = try CLI(config: sourceConfig(server.uri))
        let result = try cli.run(["test-bind"], environment: ["BIND_PW": "x"])
        #expect(result.status == 69, "status \(result.status)")
        #expect(result.stdout.contains("FAIL bind"))
        #expect(result.stdout.contains("connection closed by the server"), "\(result.stdout)")
    }

    @Test func aDamagedStoreIsSaidNotATrap() throws {
        let cli = try CLI()
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        let queue = try DatabaseQueue(path: cli.storePath)
        try queue.write { try $0.execute(sql: "UPDATE runs SET startedAt = 'not a date'") }
        let history = try cli.run("history")
        #expect(history.status == 74)
        #expect(history.stderr.contains("is damaged"))
        try queue.write { try $0.execute(sql: "INSERT INTO runs (status, trigger, startedAt, counts, pid) VALUES ('running', 'manual', '2026-01-01 00:00:00', '{}', 'abc')") }
        let run = try cli.run("run")
        #expect(run.status == 74, "\(run.stderr)")
        #expect(run.stderr.contains("is damaged"))
    }

    @Test func aStoreFromANewerVersionIsRefused() throws {
        let cli = try CLI()
        try cli.importSample()
        let queue = try DatabaseQueue(path: cli.storePath)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')") }
        let result = try cli.run("users", "list")
        #expect(result.status == 74)
        #expect(result.stderr.contains("written by a newer account-sync: unknown migration 'v99: from the future'"))
    }

    // MARK: Hangs

    @Test func aServerThatNeverFinishesTheTLSHandshakeTimesOut() throws {
        let server = try FakeLDAPServer(.stall)
        let cli = try CLI(config: sourceConfig(server.tlsURI))
        let started = Date()
        let result = try cli.run(["test-bind"], environment: ["BIND_PW": "x"])
        #expect(result.status == 69)
        #expect(result.stdout.contains("did not finish within 3 s"), "\(result.stdout)")
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test func sigtermStopsARunBlockedOnAStalledServerAndRecordsIt() throws {
        let server = try FakeLDAPServer(.stall)
        let cli = try CLI(config: sourceConfig(server.tlsURI).replacingOccurrences(of: "network: 2, operation: 5", with: "network: 120, operation: 120"))
        let (process, _, _) = try cli.start(["run"], environment: ["BIND_PW": "x"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        usleep(1_500_000)
        let stoppedAt = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(stoppedAt) < 5)
        #expect(process.terminationStatus == 1)
        let (_, run) = try cli.json("history", "show", "1", "--json")
        #expect((run["failure"] as? [String: Any])?["code"] as? String == "INTERRUPTED")
    }

    @Test func yamlAliasesAreRefusedBeforeTheyCanExplode() throws {
        var yaml = "a0: &a0 [x, x]\n"
        for level in 1..<30 { yaml += "a\(level): &a\(level) [*a\(level - 1), *a\(level - 1)]\n" }
        yaml += "? *a29\n: 1\n"
        let cli = try CLI(config: yaml)
        let started = Date()
        let result = try cli.run("config", "validate")
        #expect(result.status == 78)
        #expect(result.stderr.contains("anchors (&name) are not supported"))
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func aHeaderOfAHundredThousandColumnsIsRefusedAtOnce() throws {
        let cli = try CLI()
        let header = (0..<100_000).map { "c\($0)" }.joined(separator: ",")
        let file = try cli.write("wide.csv", header + "\n")
        let started = Date()
        let result = try cli.run("datasets", "import", "--kind", "users", "people", file)
        #expect(result.status == 65)
        #expect(result.stderr.contains("wide.csv:1: more than 1000 fields"))
        #expect(Date().timeIntervalSince(started) < 10)
    }

    // MARK: Silent data changes

    @Test(arguments: [
        ("nul.csv", "account,name\nal\u{0}ice,Alice\n", "nul.csv:2: column 'account' holds a NUL"),
        ("bom.csv", "account,name\nal\u{FEFF}ice,Alice\n", "bom.csv:2: column 'account' holds a byte order mark"),
        ("dup.jsonl", "{\"account\":\"a\",\"Account\":\"b\"}\n", "dup.jsonl:1: 'Account' gives the field 'account' a second time"),
        ("dupkey.jsonl", "{\"account\":\"a\",\"account\":\"b\"}\n", "dupkey.jsonl:1: the key 'account' is given twice"),
        ("tp.jsonl", "{\"account\":\"a\",\"thirdParty\":{\"hr\":\"1\"},\"thirdParty.hr\":\"2\"}\n", "tp.jsonl:1: 'thirdParty.hr' gives the field 'thirdParty.hr' a second time"),
        ("surrogate.jsonl", "{\"account\":\"\\ud800\"}\n", "surrogate.jsonl:1: a lone surrogate escape"),
        ("null.jsonl", "null\n", "null.jsonl:1: the line is null, not an object"),
        ("nulescape.jsonl", "{\"account\":\"a\\u0000b\"}\n", "nulescape.jsonl:1: column 'account' holds a NUL"),
    ])
    func valuesThatWouldChangeSilentlyAreRefused(name: String, text: String, message: String) throws {
        let cli = try CLI()
        let file = try cli.write(name, text)
        let result = try cli.run("datasets", "import", "--kind", "users", "people", file)
        #expect(result.status == 65, "\(name)")
        #expect(result.stderr.contains(message), "\(name): \(result.stderr)")
    }

    @Test func numbersKeepTheirTextAndGroupIdsKeepTheirSemicolons() throws {
        let cli = try CLI()
        let groups = try cli.write("g.jsonl", "{\"groupId\":\"x;y\",\"name\":\"X and Y\"}\n{\"groupId\":\"org\"}\n")
        #expect(try cli.run("datasets", "import", "--kind", "groups", "org", groups).status == 0)
        let users = try cli.write("u.jsonl", """
            \u{FEFF}{"account":"a","mobile":12345678901234567890,"externalId":1.50,"groupIds":["x;y"]}
            {"account":"b","externalId":-1e-400,"groupIds":["org"]}

            """)
        #expect(try cli.run("datasets", "import", "--kind", "users", "people", users).status == 0)
        #expect(try cli.run("run").status == 0)
        let list = try cli.run("users", "list", "--json").stdout
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]])
        let a = try #require(rows.first { $0["account"] as? String == "a" })
        #expect(a["mobile"] as? String == "12345678901234567890")
        #expect(a["externalId"] as? String == "1.50")
        #expect(a["groupIds"] as? [String] == ["x;y"])
        #expect(rows.first { $0["account"] as? String == "b" }?["externalId"] as? String == "-1e-400")
    }

    // MARK: Smaller, but misleading

    @Test func historyLimitsAndDaysAreWhatTheySay() throws {
        let cli = try CLI()
        #expect(try cli.run("history", "--limit", "-5").status == 64)
        #expect(try cli.run("history", "--limit", "0").status == 64)
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        // 2026-03-29 has 23 hours in Berlin: a run at 00:30 on the 30th is not part of the 29th.
        let store = try DatabaseQueue(path: cli.storePath)
        let formatter = ISO8601DateFormatter()
        try store.write { db in
            for (when, id) in [("2026-03-29T23:30:00+02:00", 10), ("2026-03-30T00:30:00+02:00", 11)] {
                let date = formatter.date(from: when)!
                try db.execute(sql: "INSERT INTO runs (id, status, trigger, startedAt, counts, pid) VALUES (?, 'success', 'manual', ?, '{}', 1)", arguments: [id, date])
            }
        }
        let shown = try cli.run(["history", "--from", "2026-03-29", "--to", "2026-03-29", "--json"], environment: ["TZ": "Europe/Berlin"])
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [[String: Any]])
        #expect(runs.compactMap { $0["id"] as? Int } == [10])
    }

    @Test func anImportWhileTheStoreIsBusySaysSoWithExit75() throws {
        let cli = try CLI()
        try cli.importSample()
        let queue = try DatabaseQueue(path: cli.storePath)
        let file = try cli.write("p.csv", "account\nz\n")
        try queue.inTransaction(.exclusive) { _ in
            let result = try cli.run("datasets", "import", "--kind", "users", "people", file)
            #expect(result.status == 75)
            #expect(result.stderr.contains("is busy"))
            return .rollback
        }
    }

    @Test(arguments: [
        ("filter: daily", "source.users.filter: 'daily' is not an LDAP filter"),
        ("filter: \"(uid=a\"", "is not an LDAP filter"),
        ("filter: \"(cn=a(b)\"", "must be escaped as \\28"),
        ("base: \" \"", "source.users.base: is blank"),
    ])
    func filtersAndDNsAreCheckedAsTheServerWould(setting: String, message: String) throws {
        let config = sourceConfig("ldap://127.0.0.1:1")
            .replacingOccurrences(of: "users: { base: \"dc=example,dc=com\" }", with: "users: { base: \"dc=example,dc=com\", \(setting) }")
            .replacingOccurrences(of: "base: \"dc=example,dc=com\", base: \" \"", with: "base: \" \"")
        let cli = try CLI(config: config)
        let result = try cli.run("config", "validate")
        #expect(result.status == 78)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func controlCharactersFromTheDataAreShownNotObeyed() throws {
        let cli = try CLI(config: "store: { path: store.sqlite }\nsync:\n  users: { dataset: people }\n")
        let people = try cli.write("evil.jsonl", "{\"account\":\"evil\\u001b[2J\",\"name\":\"Line\\nBreak\"}\n")
        #expect(try cli.run("datasets", "import", "--kind", "users", "people", people).status == 0)
        let run = try cli.run("run")
        #expect(run.status == 0)
        #expect(!run.stdout.contains("\u{1B}") && !run.stderr.contains("\u{1B}"))
        let list = try cli.run("users", "list")
        #expect(!list.stdout.contains("\u{1B}") && list.stdout.contains("evil\\u{1B}[2J"))
        #expect(list.stdout.contains("Line\\u{A}Break"))
        let show = try cli.run("history", "show", "1")
        #expect(!show.stdout.contains("\u{1B}"))
    }
}
