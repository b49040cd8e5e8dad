import Foundation
import Testing

@Suite("account-sync command line", .serialized)
struct CLITests {
    @Test func helpListsTheCommandsAndExitCodes() throws {
        let cli = try CLI()
        let result = try cli.run("--help")
        #expect(result.status == 0)
        for word in ["datasets", "run", "history", "users", "groups", "resources", "config", "75 another run in", "69 directory pull"] {
            #expect(result.stdout.contains(word), "help lacks \(word)")
        }
    }

    @Test func badArgumentsExit64() throws {
        let cli = try CLI()
        #expect(try cli.run("run", "--allow-deletions", "lots").status == 64)
        #expect(try cli.run("datasets", "import", "--kind", "people", "x", "y.csv").status == 64)
    }

    @Test func invalidConfigExits78AndNamesEveryKey() throws {
        let cli = try CLI(config: "sync:\n  users: { dataset: people }\n  safeguard: { maxUserDeletion: 5, deletedUsers: shred }\n")
        let result = try cli.run("config", "validate")
        #expect(result.status == 78)
        #expect(result.stderr.contains("sync.safeguard.maxUserDeletion: unknown key (did you mean 'maxUserDeletions'?)"))
        #expect(result.stderr.contains("sync.safeguard.deletedUsers: 'shred' is not one of disable, remove"))
        #expect(try cli.run("run").status == 78)
    }

    @Test func missingConfigFileExits78() throws {
        let cli = try CLI()
        let result = try cli.run("run", "--config", "/nonexistent/config.yaml")
        #expect(result.status == 78)
        #expect(result.stderr.contains("/nonexistent/config.yaml"))
    }

    @Test func malformedDatasetExits65WithFileAndLineAndKeepsThePreviousVersion() throws {
        let cli = try CLI()
        try cli.importSample()
        let bad = try cli.write("bad.csv", "account,name,disabled\ncarol,Carol,no\ndave,Dave,perhaps\n")
        let result = try cli.run("datasets", "import", "--kind", "users", "people", bad)
        #expect(result.status == 65)
        #expect(result.stderr.contains("bad.csv:3: column 'disabled': 'perhaps'"))
        let shown = try cli.run("datasets", "show", "people")
        #expect(shown.stdout.contains("alice") && !shown.stdout.contains("carol"))
    }

    @Test func runJSONHasTheDocumentedShape() throws {
        let cli = try CLI()
        try cli.importSample()
        let (status, run) = try cli.json("run", "--json")
        #expect(status == 0)
        #expect(Set(run.keys) == ["id", "status", "trigger", "startedBy", "settingsVersion", "agent", "startedAt", "finishedAt", "failure", "counts", "approval", "items"])
        #expect(run["approval"] is NSNull)
        #expect(run["status"] as? String == "success")
        #expect(run["failure"] is NSNull)
        let started = try #require(run["startedAt"] as? String)
        #expect(ISO8601DateFormatter().date(from: started) != nil)
        let counts = try #require(run["counts"] as? [String: Int])
        #expect(counts.count == 15)
        #expect(counts["usersCreated"] == 2 && counts["groupsCreated"] == 2)
        let items = try #require(run["items"] as? [[String: Any]])
        #expect(items.allSatisfy { Set($0.keys) == ["kind", "key", "action", "code", "message"] })

        let id = try #require(run["id"] as? Int)
        let (showStatus, shown) = try cli.json("history", "show", "\(id)", "--json")
        #expect(showStatus == 0)
        #expect(shown["status"] as? String == "success")
        #expect((shown["items"] as? [Any])?.count == items.count)
    }

    @Test func partiallyFailedRunExits2AndTheHistoryShowsWhy() throws {
        let cli = try CLI()
        try cli.importSample()
        let people = try cli.write("people2.csv", "account,name,email,accountType\nalice,Alice,alice@x.example,Administrator\nbob,Bob,bob@x.example,\ncarl,Carl,ALICE@x.example,\ndan,Dan,,Root\n")
        #expect(try cli.run("datasets", "import", "--kind", "users", "people", people).status == 0)
        let result = try cli.run("run")
        #expect(result.status == 2)
        #expect(result.stdout.contains("Failed new users (2):"))
        #expect(result.stdout.contains("carl  DUPLICATE_EMAIL"))
        #expect(result.stdout.contains("dan  INVALID_ACCOUNT_TYPE"))
        let history = try cli.run("history", "--status", "partially_failed")
        #expect(history.stdout.contains("partially_failed"))
        #expect(!history.stdout.contains("success"))
    }

    /// `run` and `history show` print 20 items of each section from a sample of the run's items
    /// (not all of them): the same text as the full list cut at 20, with the same section sizes.
    @Test func theSummaryOfABigRunIsTheFullListCutAtTwenty() throws {
        let cli = try CLI()
        try cli.importSample()
        var csv = "account,name,email,accountType\n"
        for index in 0..<45 { csv += "user\(index),User \(index),u\(index)@x.example,Regular User\n" }
        for index in 0..<25 { csv += "dup\(index),Dup \(index),U\(index % 5)@x.example,\n" }  // DUPLICATE_EMAIL
        for index in 0..<23 { csv += "root\(index),Root \(index),,Root\n" }  // INVALID_ACCOUNT_TYPE
        let people = try cli.write("big.csv", csv)
        #expect(try cli.run("datasets", "import", "--kind", "users", "people", people).status == 0)
        let run = try cli.run("run")
        #expect(run.status == 2)
        let id = try #require(run.stdout.split(separator: ":").first?.split(separator: "#").last.map(String.init))
        let summary = try cli.run("history", "show", id)
        let full = try cli.run("history", "show", id, "--all")
        #expect(summary.status == 0 && full.status == 0)
        // The full list, each section cut at 20 items with the line that says how many more.
        var expected: [String] = []
        var section: (header: String, items: [String])?
        func flush() {
            guard let current = section else { return }
            expected.append(current.header)
            expected += current.items.prefix(20)
            if current.items.count > 20 { expected.append("  … and \(current.items.count - 20) more (--all or --json lists every item)") }
            section = nil
        }
        for line in full.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasSuffix("):"), !line.hasPrefix(" ") {
                flush()
                section = (line, [])
            } else if line.hasPrefix("  "), section != nil {
                section?.items.append(line)
            } else {
                flush()
                expected.append(line)
            }
        }
        flush()
        #expect(summary.stdout == expected.joined(separator: "\n"))
        // The sections are the Admin Center's (RunSection), in its order: failures before changes.
        let titles = summary.stdout.split(separator: "\n").filter { $0.hasSuffix("):") && !$0.hasPrefix(" ") }
        #expect(titles == ["Failed new users (48):", "New users (45):", "New user groups (2):"])
        #expect(summary.stdout.contains("… and 28 more"))
        #expect(run.stdout.split(separator: "\n").dropFirst(2) == summary.stdout.split(separator: "\n").dropFirst(2))
    }

    @Test func deletedDatasetFailsTheRunWithExit1() throws {
        let cli = try CLI()
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        #expect(try cli.run("datasets", "delete", "people").status == 0)
        let result = try cli.run("run")
        #expect(result.status == 1)
        #expect(result.stdout.contains("DATASET_MISSING"))
        #expect(try cli.run("datasets", "delete", "people").status == 66)
    }

    @Test func safeguardExits3ThenAllowDeletionsApproves() throws {
        let cli = try CLI(config: CLI.unprotectedConfig)
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        let empty = try cli.write("empty.csv", "account,name\nnew,New\n")
        #expect(try cli.run("datasets", "import", "--kind", "users", "people", empty).status == 0)
        let tripped = try cli.run("run")
        #expect(tripped.status == 3)
        #expect(tripped.stdout.contains("SAFEGUARD_TRIPPED"))
        #expect(tripped.stdout.contains("alice"))
        #expect(try cli.run("users", "list").stdout.contains("2 users"))
        #expect(try cli.run("run", "--allow-deletions", "2").status == 0)
        #expect(try cli.run("users", "list", "--disabled").stdout.contains("2 users"))
    }

    @Test func dryRunChangesNothing() throws {
        let cli = try CLI()
        try cli.importSample()
        let result = try cli.run("run", "--dry-run")
        #expect(result.status == 0)
        #expect(result.stdout.contains("Dry run"))
        #expect(result.stdout.contains("alice"))
        #expect(try cli.run("users", "list").stdout.contains("0 users"))
        #expect(try cli.run("history").stdout.contains("no runs yet"))
    }

    @Test func adminEditsAreInTheUsersHistory() throws {
        let cli = try CLI()
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        #expect(try cli.run("users", "edit", "ALICE", "--mobile", "+44 7700 900123", "--disable").status == 0)
        let (status, _) = (try cli.run("users", "edit", "bob", "--mobile", "0044 7700 900123").status, 0)
        #expect(status == 65)
        let history = try cli.run("users", "history", "alice")
        #expect(history.stdout.contains("mobile"))
        #expect(history.stdout.contains("admin ("))
        #expect(history.stdout.contains("run #1"))
        #expect(try cli.run("users", "history", "nobody").status == 66)
        #expect(try cli.run("run").status == 0)
        #expect(try cli.run("users", "show", "alice").stdout.contains("disabled (by an admin)"))
    }

    @Test func resourcesCommands() throws {
        let cli = try CLI()
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        #expect(try cli.run("resources", "add", "--owner", "bob", "Sales dashboard").status == 0)
        #expect(try cli.run("resources", "add", "--owner", "ghost", "x").status == 66)
        #expect(try cli.run("resources", "add", "x").status == 64)
        #expect(try cli.run("resources", "transfer", "--from", "bob", "--to", "alice").stdout.contains("transferred 1"))
        #expect(try cli.run("resources", "list").stdout.contains("user alice"))
    }

    @Test func datasetOfTheWrongKindFailsTheRunWithConfigInvalid() throws {
        let cli = try CLI()
        try cli.importSample()
        #expect(try cli.run("datasets", "delete", "people").status == 0)
        #expect(try cli.run("datasets", "import", "--kind", "groups", "people", try cli.write("g.csv", "groupId\nx\n")).status == 0)
        let result = try cli.run("run", "--json")
        #expect(result.status == 1)
        #expect(result.stdout.contains("CONFIG_INVALID"))
        #expect(result.stdout.contains("sync.users.dataset selects 'people', which is a groups dataset"))
    }

    @Test func storeThatIsNotADatabaseExits74WithAPlainMessage() throws {
        let cli = try CLI()
        _ = try cli.write("store.sqlite", String(repeating: "not a database ", count: 100))
        let result = try cli.run("history")
        #expect(result.status == 74)
        #expect(result.stderr.contains("is not a valid account-sync store"))
    }

    @Test func groupsAreListedAsATree() throws {
        let cli = try CLI()
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        let tree = try cli.run("groups", "list").stdout
        #expect(tree.contains("Acme  [acme]  1 members\n  Engineering  [eng]  1 members"))
    }

    @Test func metricsTextfileIsWrittenAfterEveryRun() throws {
        let cli = try CLI(config: CLI.unprotectedConfig + "\nmetrics: { textfile: account_sync.prom }\n")
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        let path = cli.folder.appendingPathComponent("account_sync.prom").path
        let first = try String(contentsOfFile: path, encoding: .utf8)
        #expect(first.contains("account_sync_last_run_status 0\n"))
        #expect(first.contains("account_sync_last_run_items{kind=\"user\",action=\"created\"} 2\n"))
        #expect(first.contains("account_sync_last_run_safeguard_tripped 0\n"))
        #expect(first.contains("account_sync_last_run_timestamp_seconds "))
        let empty = try cli.write("empty.csv", "account\nnew\n")
        #expect(try cli.run("datasets", "import", "--kind", "users", "people", empty).status == 0)
        #expect(try cli.run("run").status == 3)
        let second = try String(contentsOfFile: path, encoding: .utf8)
        #expect(second.contains("account_sync_last_run_status 2\n"))
        #expect(second.contains("account_sync_last_run_safeguard_tripped 1\n"))
        #expect(second.contains("failure=\"SAFEGUARD_TRIPPED\""))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.folder.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }
}
