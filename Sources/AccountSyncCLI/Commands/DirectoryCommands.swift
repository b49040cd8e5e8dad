import AccountSyncApp
import ArgumentParser
import DatasetFormats
import DirectoryConnector
import Foundation
import SyncCore

/// `account-sync test-bind`: the admin's one-shot check of the directory settings.
struct TestBindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-bind",
        abstract: "Check the source: settings: connect, TLS, bind, root DSE, counts, and the first users and groups as mapped.",
        discussion: """
            Changes nothing. Every failure is said in plain words with a hint. Exit 0 when every
            step worked, 69 when one failed, 78 for a config problem.

            Example: account-sync test-bind --config /etc/account-sync/config.yaml
            """)

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let app = try options.app()
        let check = try report { () throws(AppError) in try app.testBind() }
        if json {
            try Output.json(check)
        } else {
            for step in check.steps {
                print("\(step.ok ? "ok  " : "FAIL") \(step.name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(Output.visible(step.detail))")
                if let hint = step.hint { print("     hint:     \(hint)") }
            }
            if !check.sampleUsers.isEmpty {
                print("\nFirst users as they would be mapped:")
                print(Output.table(
                    ["ACCOUNT", "NAME", "EMAIL", "TYPE", "DISABLED", "GROUPS", "DN"],
                    check.sampleUsers.map { [$0.account, $0.name, $0.email, $0.accountType, $0.disabled ? "yes" : "", $0.groupIds.joined(separator: ";"), $0.thirdParty["ldapDN"] ?? ""] }))
            }
            if !check.sampleGroups.isEmpty {
                print("\nFirst groups as they would be mapped:")
                print(Output.table(["GROUP ID", "NAME", "PARENT"], check.sampleGroups.map { [$0.groupId, $0.name, $0.parentGroupId] }))
            }
            for problem in check.problems { print("warning: \(Output.visible(problem))") }
        }
        if !check.ok { throw ExitCode(ExitStatus.sourceIncomplete.rawValue) }
    }
}

/// `account-sync pull`: pull the datasets from the directory without syncing.
struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull users and groups from the directory and store them as the selected datasets (or write JSON Lines).",
        discussion: """
            Without --output, the pull replaces the datasets named by sync.users.dataset and
            sync.groups.dataset; with --output DIR it writes DIR/users.jsonl and DIR/groups.jsonl
            (which `datasets import` reads) and stores nothing. A pull that does not finish
            changes nothing and exits 69.
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "Write users.jsonl and groups.jsonl into this folder instead of storing them.") var output: String?
    @Flag(help: "Push the pull to the core named by the config's core: section, without starting a run.") var push = false

    func validate() throws {
        if push && output != nil { throw ValidationError("give --push or --output, not both") }
    }

    func run() throws {
        let app = try options.app()
        if push {
            guard let core = app.config.core else {
                printError("--push needs a core: section in \(app.config.file) (url, token, agent)")
                throw ExitCode(ExitStatus.configInvalid.rawValue)
            }
            _ = try report { () throws(AppError) in try AgentRun.perform(app, core: core, run: false) }
            print("pushed to \(core.url) as agent \(core.agent)")
            return
        }
        let pulled: PulledDatasets
        if let output {
            // The users are written as the pull maps them, 10,000 rows at a time, on this thread
            // while the pull goes on on another: a million users are never in memory at once. The
            // file appears whole when the pull is complete, or not.
            pulled = try report { () throws(AppError) in
                func cannotWrite(_ error: Error) -> AppError {
                    AppError(.storeUnavailable, "cannot write to \(output): \(error.localizedDescription)")
                }
                var result: PulledDatasets?
                do {
                    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
                    try PrivateFile.write(to: output + "/users.jsonl") { append in
                        result = try app.pullFromDirectory(inBatches: { batch in
                            do { try append(JSONLinesWriter.bytes(batch)) } catch { throw cannotWrite(error) }
                        })
                    }
                    try PrivateFile.write(JSONLinesWriter.bytes(result?.groups ?? []), to: output + "/groups.jsonl")
                } catch let error as AppError {
                    throw error  // the pull's, or a batch that could not be written
                } catch {
                    throw cannotWrite(error)
                }
                guard let result else { throw AppError(.storeUnavailable, "cannot write to \(output)") }
                return result
            }
        } else {
            pulled = try report { () throws(AppError) in try app.pullAndStore() }
        }
        for (group, count) in pulled.unresolvedMembers.sorted(by: { $0.key < $1.key }) {
            printWarning("\(group): \(count) member\(count == 1 ? "" : "s") not found")
        }
        for warning in pulled.warnings { printWarning(warning) }
        if output != nil, let warning = app.emptyPullWarning(pulled) { printWarning(warning) }
        if let output {
            print("wrote \(pulled.userCount) users to \(output)/users.jsonl and \(pulled.groups.count) groups to \(output)/groups.jsonl")
        } else {
            print("stored \(pulled.userCount) users as dataset '\(app.config.usersDataset ?? "")' and \(pulled.groups.count) groups as dataset '\(app.config.groupsDataset ?? "")'")
        }
    }
}
