import AccountSyncApp
import ArgumentParser
import Foundation
import SyncCore

/// `account-sync run`: one sync of the selected datasets into the account store.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Sync the selected datasets into the account store, atomically, and record it in the Update History.",
        discussion: """
            Every row is validated; failed rows are listed with their reason and the rest is applied in
            one transaction. When the run would delete more than the deletion safeguard allows (a
            count, a percentage, a rolling window, members taken out of one group), or a selected
            dataset is empty while the store holds managed accounts (SOURCE_EMPTY), it applies
            nothing, lists who would go and exits 3. Check the list, then approve exactly that list
            with --approve RUN_ID: the approved run applies those deletions and stops again if any
            other would happen. The approver ($SUDO_USER, else you) and the reason are recorded.
            Only one run at a time: a second exits 75.

            Examples:
              account-sync run --dry-run
              account-sync run --approve 41 --reason "reorg: Sales EMEA closed, ticket HR-1234"
              account-sync run --allow-deletions 120 --reason "annual clean-up"
              account-sync run --json > run.json
            """)

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Print the plan and change nothing.") var dryRun = false
    @Option(help: ArgumentHelp("Approve exactly the deletions that the stopped run RUN_ID listed.", valueName: "RUN_ID"))
    var approve: Int64?
    @Option(help: ArgumentHelp("Approve this one run to delete up to N users and N groups, and take up to N members out of a group.", valueName: "N"))
    var allowDeletions: Int?
    @Option(help: ArgumentHelp("Why the deletions are right; recorded with the approval.", valueName: "TEXT"))
    var reason: String?
    @Flag(help: "Print the run as JSON.") var json = false
    @Flag(help: "List every item instead of the first 20 of each section.") var all = false
    @Flag(help: "Started by the timer: honour sync.update (manual skips the run, exit 0) and record the trigger as scheduled.")
    var scheduled = false

    func validate() throws {
        if let allowDeletions, allowDeletions < 0 { throw ValidationError("--allow-deletions must be 0 or more") }
        if approve != nil && allowDeletions != nil { throw ValidationError("give --approve RUN_ID or --allow-deletions N, not both") }
        if reason != nil && approve == nil && allowDeletions == nil { throw ValidationError("--reason goes with --approve RUN_ID or --allow-deletions N") }
        if let reason, reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--reason must not be empty") }
    }

    /// The approval given on the command line, by the invoking user.
    private var approval: RunApproval? {
        guard approve != nil || allowDeletions != nil else { return nil }
        return RunApproval(runId: approve, allowDeletions: allowDeletions, by: Approver.current(), reason: reason)
    }

    func run() throws {
        let loaded = try options.app()
        if let core = loaded.config.core, !dryRun {
            // A connector agent: pull here, push to the core, the core runs.
            guard let record = try report({ () throws(AppError) in try AgentRun.perform(loaded, core: core, run: true) }) else { return }
            if json { try Output.json(record) } else { print(RunRendering.detail(record, itemLimit: all ? nil : RunRendering.itemsPerSection)) }
            let status = AccountSync.exitStatus(for: record)
            if status != .success { throw ExitCode(status.rawValue) }
            return
        }
        let app = try report { () throws(AppError) in try loaded.effective() }
        if dryRun {
            let plan = try report { () throws(AppError) in try app.dryRun(approval: approval) }
            if json {
                try Output.json(PlanView(plan))
            } else {
                print(RunRendering.plan(plan, itemLimit: all ? nil : RunRendering.itemsPerSection))
            }
            return
        }
        if scheduled, app.config.update == .manual {
            app.logger.notice("sync.update is manual in \(app.config.file): the scheduled run is skipped")
            return
        }
        let record = try report { () throws(AppError) in
            var options = AccountSync.RunOptions(trigger: scheduled ? .scheduled : .manual, approval: approval, halfway: FaultInjection.pauseMidApply())
            options.itemsIncluded = json || all  // the text prints a sample of them
            return try app.run(options)
        }
        if json { try Output.json(record) } else { print(try report { () throws(AppError) in try RunRendering.detail(record, all: all, app: app) }) }
        let status = AccountSync.exitStatus(for: record)
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

/// Test-only hooks, off unless their environment variable is set. The kill-9 test uses
/// `ACCOUNT_SYNC_TEST_PAUSE_MID_APPLY=FILE`: halfway through writing the users, inside the
/// transaction, the run creates FILE and sleeps, so the test can kill it at a known point.
enum FaultInjection {
    static func pauseMidApply() -> (@Sendable () -> Void)? {
        guard let marker = ProcessInfo.processInfo.environment["ACCOUNT_SYNC_TEST_PAUSE_MID_APPLY"], !marker.isEmpty else { return nil }
        return {
            _ = FileManager.default.createFile(atPath: marker, contents: Data("\(getpid())\n".utf8))
            // Up to 120 s, or until the process is asked to stop (the SIGTERM test).
            for _ in 0..<1_200 where !Termination.shared.requested { usleep(100_000) }
        }
    }
}
