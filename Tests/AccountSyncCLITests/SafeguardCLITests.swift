import AccountSyncApp
import Foundation
import SyncCore
import SyncStore
import Testing

/// The safeguard through the real binary: SOURCE_EMPTY, approvals bound to a run's list and used
/// once, the rolling window across runs, protected administrators, and dead runs in the history.
@Suite("The deletion safeguard from the command line", .serialized)
struct SafeguardCLITests {
    static func config(_ safeguard: String) -> String {
        """
        store: { path: store.sqlite }
        sync:
          users: { dataset: people }
          safeguard: { \(safeguard) }
        """
    }

    /// Imports users u1…uN (or the given range) as the `people` dataset.
    func importUsers(_ cli: CLI, _ range: ClosedRange<Int>?) throws {
        var csv = "account,name\n"
        for index in range.map(Array.init) ?? [] { csv += "u\(index),User \(index)\n" }
        let file = try cli.write("people-\(UUID().uuidString).csv", csv)
        #expect(try cli.run("datasets", "import", "--kind", "users", "people", file).status == 0)
    }

    func disabledCount(_ cli: CLI) throws -> Int {
        let users = try JSONSerialization.jsonObject(with: Data(try cli.run("users", "list", "--json").stdout.utf8)) as? [[String: Any]] ?? []
        return users.filter { ($0["status"] as? String) != "enabled" }.count
    }

    @Test func anEmptyDatasetIsSourceEmptyUntilThatRunIsApprovedOnce() throws {
        let cli = try CLI(config: Self.config("maxUserDeletions: 10"))
        try importUsers(cli, 1...3)
        #expect(try cli.run("run").status == 0)
        try importUsers(cli, nil)

        let (status, stopped) = try cli.json("run", "--json")
        #expect(status == 3)
        let failure = try #require(stopped["failure"] as? [String: Any])
        #expect(failure["code"] as? String == "SOURCE_EMPTY")
        #expect((failure["message"] as? String)?.contains("--approve 2") == true)
        #expect(try disabledCount(cli) == 0)

        let approved = try cli.run(["run", "--json", "--approve", "2", "--reason", "the old directory is retired"], environment: ["SUDO_USER": "jdoe"])
        #expect(approved.status == 0, "\(approved.stderr)")
        let run = try #require(try JSONSerialization.jsonObject(with: Data(approved.stdout.utf8)) as? [String: Any])
        let approval = try #require(run["approval"] as? [String: Any])
        #expect(approval["runId"] as? Int == 2 && approval["by"] as? String == "jdoe")
        #expect(approval["reason"] as? String == "the old directory is retired")
        #expect(try disabledCount(cli) == 3)
        #expect(try cli.run("history", "show", "3").stdout.contains("approved by jdoe: the deletions listed by run #2 — reason: the old directory is retired"))

        let reused = try cli.run("run", "--approve", "2")
        #expect(reused.status == 64)
        #expect(reused.stderr.contains("already used by run #3"))
    }

    @Test func anApprovalTripsAgainWhenSomeoneNotListedWouldGo() throws {
        let cli = try CLI(config: Self.config("maxUserDeletions: 1"))
        try importUsers(cli, 1...10)
        #expect(try cli.run("run").status == 0)
        try importUsers(cli, 1...8)
        let tripped = try cli.run("run")
        #expect(tripped.status == 3)
        #expect(tripped.stdout.contains("2 users would be disabled; the limit is 1 a run"))
        #expect(tripped.stdout.contains("u9") && tripped.stdout.contains("u10"))

        try importUsers(cli, 1...7)
        let again = try cli.run("run", "--approve", "2", "--reason", "leavers of November")
        #expect(again.status == 3)
        #expect(again.stdout.contains("not on that list: user 'u8'"))
        #expect(try disabledCount(cli) == 0)

        // The run that tripped again lists all three; approving it applies them.
        #expect(try cli.run("run", "--approve", "3").status == 0)
        #expect(try disabledCount(cli) == 3)
    }

    @Test func theWindowCatchesASlowDripAcrossRuns() throws {
        let cli = try CLI(config: Self.config("maxUserDeletions: 100, window: { days: 7, maxUserDeletions: 30 }"))
        try importUsers(cli, 1...200)
        #expect(try cli.run("run").status == 0)
        try importUsers(cli, 1...180)
        #expect(try cli.run("run").status == 0)
        try importUsers(cli, 1...165)
        let second = try cli.run("run")
        #expect(second.status == 3)
        #expect(second.stdout.contains("15 users would be disabled and runs of the last 7 days deleted 20: 35 in 7 days; the limit is 30"))
        #expect(try disabledCount(cli) == 20)
    }

    @Test func anAdministratorWhoLeftStaysAndIsListedAsProtected() throws {
        let cli = try CLI()
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        let people = try cli.write("bob-only.csv", "account,name,email,groupIds\nbob,Bob,bob@x.example,acme\n")
        #expect(try cli.run("datasets", "import", "--kind", "users", "people", people).status == 0)
        let result = try cli.run("run")
        #expect(result.status == 2)
        #expect(result.stdout.contains("Users that could not be deleted (1):"))
        #expect(result.stdout.contains("alice  PROTECTED"))
        #expect(try disabledCount(cli) == 0)
    }

    @Test func approvalsAreCheckedBeforeAnythingRuns() throws {
        let cli = try CLI()
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        let notStopped = try cli.run("run", "--approve", "1")
        #expect(notStopped.status == 64)
        #expect(notStopped.stderr.contains("run #1 was not stopped by the safeguard"))
        #expect(try cli.run("run", "--approve", "99").status == 66)
        #expect(try cli.run("run", "--reason", "because").status == 64)
        #expect(try cli.run("run", "--approve", "1", "--allow-deletions", "3").status == 64)
        #expect(try cli.run("history").stdout.split(separator: "\n").count == 2, "only the header and run #1: refused approvals record no run")
    }

    @Test func aDeadRunIsNeverShownAsRunning() throws {
        let cli = try CLI()
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        // A run recorded by a process that is gone (no one holds the lock).
        let store = try AccountStore(path: cli.storePath)
        let dead = try store.beginRun(trigger: .scheduled, pid: 999_999)
        let (_, shown) = try cli.json("history", "show", "\(dead)", "--json")
        #expect(shown["status"] as? String == "failed")
        #expect((shown["failure"] as? [String: Any])?["code"] as? String == "INTERRUPTED")
        #expect(try cli.run("history", "--status", "running").stdout.contains("no runs match"))
    }
}
