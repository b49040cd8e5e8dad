import AccountSyncApp
import ArgumentParser
import Foundation

/// `account-sync config …`: checks the config file.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check the config file.", subcommands: [Validate.self])

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every problem of the config file, with its key path; exit 78 when there is one.",
            discussion: "Unknown keys are errors: a misspelt key must never silently switch a safeguard off.")

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let app = try options.app()
            let config = app.config
            // What a file cannot say about itself: the files it names must be there for this user.
            if let source = config.source {
                let missing = source.connection.tls.fileProblems()
                if !missing.isEmpty {
                    printError("\(config.file): \(missing.count) problem\(missing.count == 1 ? "" : "s")\n" + missing.map { "  \($0)" }.joined(separator: "\n"))
                    throw ExitCode(ExitStatus.configInvalid.rawValue)
                }
            }
            let policy = config.policy
            print("\(config.file): valid")
            print("  store:       \(config.storePath)")
            print("  update:      \(config.update.description)")
            print("  users:       \(config.usersDataset.map { "dataset '\($0)'" } ?? "not synced")")
            print("  groups:      \(config.groupsDataset.map { "dataset '\($0)'" } ?? "not synced")")
            print("  safeguard:   at most \(policy.safeguard.maxUserDeletions) users and \(policy.safeguard.maxGroupDeletions) groups deleted per run; deleted users are \(policy.safeguard.deletedUsers == .disable ? "disabled" : "removed")")
            print("  license:     \(policy.license.maxUsers.map(String.init) ?? "unlimited") users, \(policy.license.maxEditableUsers.map(String.init) ?? "unlimited") editable users")
            print("  ownedFields: \(policy.ownedFields.map(\.rawValue).sorted().joined(separator: ", "))")
            if let source = config.source, FileManager.default.fileExists(atPath: config.storePath),
                let notes = try? app.withStore({ try MappingFacts.changes(source, store: $0) })
            {
                for note in notes { print("  note:        \(note)") }
            }
        }
    }
}
