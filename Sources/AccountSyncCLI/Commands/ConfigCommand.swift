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
            print("\(config.file): valid")
            print("  settings:    \(config.syncPinned ? "pinned by this file's sync: section (read-only in the Admin Center)" : "from the store, versioned (no sync: section here); see: account-sync settings show")")
            print("  store:       \(config.storePath)")
            let shown = config.syncPinned ? config : ((try? app.effective().config) ?? config)
            let policy = shown.policy
            guard config.syncPinned || shown.settingsVersion != nil else {
                print("  (no sync settings saved in the store yet)")
                return
            }
            print("  update:      \(shown.update.description)")
            print("  users:       \(shown.usersDataset.map { "dataset '\($0)'" } ?? "not synced")")
            print("  groups:      \(shown.groupsDataset.map { "dataset '\($0)'" } ?? "not synced")")
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
