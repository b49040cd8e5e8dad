import ArgumentParser
import Foundation

/// `account-sync`: keeps an application's users and user groups in step with a directory or OA system.
@main
struct AccountSyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account-sync",
        abstract: "Keep user accounts and user groups in step with a directory or OA system.",
        discussion: """
            Import the datasets, check the config, preview, then run:
              account-sync datasets import --kind groups org org-units.csv
              account-sync datasets import --kind users people people.csv
              account-sync config validate
              account-sync run --dry-run
              account-sync run
              account-sync history

            Exit codes: 0 success; 1 run failed; 2 run partially failed; 3 run stopped by the
            deletion safeguard; 64 bad command line; 65 bad input data; 66 not found;
            69 directory pull or test-bind failed; 74 store unavailable; 75 another run in
            progress; 78 config invalid.
            """,
        subcommands: [
            ConfigCommand.self, TestBindCommand.self, PullCommand.self, DatasetsCommand.self, RunCommand.self, HistoryCommand.self,
            UsersCommand.self, GroupsCommand.self, ResourcesCommand.self, ScheduleCommand.self,
            ServeCommand.self, AdminsCommand.self, TokensCommand.self, SettingsCommand.self,
        ])

    /// Process-wide set-up before any command: a peer that hangs up is an error to report, not a
    /// SIGPIPE that kills the process; and every file we create is private unless said otherwise.
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        umask(0o077)
        main(Array(CommandLine.arguments.dropFirst()))
    }
}
