import Foundation
import Testing

@Suite("Crashes and concurrent runs", .serialized)
struct CrashAndLockTests {
    /// 20,000 users in 50 groups: big enough that the apply takes a while.
    func largeDataset(_ cli: CLI) throws {
        var users = "account,name,email,groupIds\n"
        for index in 0..<20_000 { users += "user\(index),User \(index),user\(index)@big.example,g\(index % 50)\n" }
        var groups = "groupId,name,parentGroupId\nacme,Acme,\n"
        for index in 0..<50 { groups += "g\(index),Group \(index),acme\n" }
        #expect(try cli.run("datasets", "import", "--kind", "groups", "org", try cli.write("big-org.csv", groups)).status == 0)
        #expect(try cli.run("datasets", "import", "--kind", "users", "people", try cli.write("big.csv", users)).status == 0)
    }

    /// A synced small organisation, then a 20,000-user dataset whose run is started and paused
    /// halfway through its apply (inside the transaction). Returns the paused process and the
    /// user list as it was before.
    func pausedLargeRun(_ cli: CLI) throws -> (process: Process, stderr: URL, before: String) {
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        let before = try cli.run("users", "list", "--json").stdout
        try largeDataset(cli)
        let marker = cli.folder.appendingPathComponent("halfway").path
        let (process, _, err) = try cli.start(["run"], environment: ["ACCOUNT_SYNC_TEST_PAUSE_MID_APPLY": marker])
        #expect(waitForFile(marker, seconds: 120), "the run never reached the middle of its apply")
        return (process, err, before)
    }

    func waitForFile(_ path: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            usleep(50_000)
        }
        return false
    }

    @Test func killDashNineMidApplyLeavesTheStoreAsBeforeAndTheRunInterrupted() throws {
        let cli = try CLI(config: CLI.defaultConfig.replacingOccurrences(of: "maxUserDeletions: 1,", with: "maxUserDeletions: 100, protect: { administrators: false },"))
        let (process, _, before) = try pausedLargeRun(cli)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // While it holds the lock, a second run is refused with exit 75.
        let second = try cli.run("run")
        #expect(second.status == 75)
        #expect(second.stderr.contains("another account-sync run is in progress (pid \(process.processIdentifier)"))

        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        #expect(try cli.run("users", "list", "--json").stdout == before)
        // The dead run is never shown as running: reading the history settles it (the lock is free).
        #expect(try cli.run("history", "--status", "running").stdout.contains("no runs match"))
        let (_, interrupted) = try cli.json("history", "show", "2", "--json")
        #expect(interrupted["status"] as? String == "failed")
        let failure = try #require(interrupted["failure"] as? [String: Any])
        #expect(failure["code"] as? String == "INTERRUPTED")
        #expect((failure["message"] as? String)?.contains("pid \(process.processIdentifier)") == true)

        let next = try cli.run("run", "--json")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try cli.run("users", "list").stdout.contains("20002 users"))
    }

    @Test func sigtermMidApplyRollsBackAndRecordsTheRunAsInterrupted() throws {
        let cli = try CLI(config: CLI.defaultConfig.replacingOccurrences(of: "maxUserDeletions: 1,", with: "maxUserDeletions: 100, protect: { administrators: false },"))
        let (process, err, before) = try pausedLargeRun(cli)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 1, "\((try? String(contentsOf: err, encoding: .utf8)) ?? "")")

        #expect(try cli.run("users", "list", "--json").stdout == before)
        let (_, stopped) = try cli.json("history", "show", "2", "--json")
        #expect(stopped["status"] as? String == "failed")
        let failure = try #require(stopped["failure"] as? [String: Any])
        #expect(failure["code"] as? String == "INTERRUPTED")
        #expect((failure["message"] as? String)?.contains("stopped by SIGTERM") == true)
        #expect(try cli.run("run").status == 0)
    }

    @Test func scheduledRunsHonourTheUpdateSetting() throws {
        let manual = try CLI()
        try manual.importSample()
        let skipped = try manual.run("run", "--scheduled")
        #expect(skipped.status == 0)
        #expect(skipped.stderr.contains("sync.update is manual"))
        #expect(try manual.run("history").stdout.contains("no runs yet"))

        let daily = try CLI(config: CLI.defaultConfig + "\n  update: daily\n  dailyAt: \"02:30\"\n")
        try daily.importSample()
        #expect(try daily.run("run", "--scheduled").status == 0)
        let (_, run) = try daily.json("history", "show", "1", "--json")
        #expect(run["trigger"] as? String == "scheduled")
    }
}
