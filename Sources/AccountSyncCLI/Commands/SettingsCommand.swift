import AccountSyncApp
import AccountSyncConfig
import ArgumentParser
import Foundation

/// `account-sync settings …`: the sync settings (the product doc's Edit page) when they live in the
/// store: shown, changed one key at a time or from a file, every save a version.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings", abstract: "Show, change and list the versions of the sync settings.",
        discussion: """
            When the config file has a sync: section, it pins the settings (read-only here and in
            the Admin Center). Without one, the settings live in the store: each save is a version,
            recording who, when and what changed, and each run records the version it ran with.
            Every save is checked like the config file, with key paths in the messages.

            Examples:
              account-sync settings set users.dataset people
              account-sync settings set safeguard.maxUserDeletionPercent 10
              account-sync settings set safeguard.protect.accounts "[root, backup]"
              account-sync settings edit sync.yaml
              account-sync settings history
            """,
        subcommands: [Show.self, Set.self, Edit.self, History.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the settings that govern runs, and where they come from.")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let app = try options.app()
            guard let active = try report({ () throws(AppError) in try app.activeSettings() }) else {
                print("no sync settings yet (the config file has no sync: section); set them: account-sync settings set users.dataset NAME")
                return
            }
            print(active.pinnedByFile ? "# pinned by \(app.config.file) (its sync: section)" : "# settings version \(active.version ?? 0), from the store")
            print(active.document)
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set one key (a path below sync:) and save a new version.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The key, e.g. safeguard.maxUserDeletions.") var key: String
        @Argument(help: "The value, as YAML: 20, true, daily, \"[a, b]\"; empty removes the key.") var value: String

        func run() throws {
            let app = try options.app()
            let version = try report { () throws(AppError) in try app.setSetting(key, to: value, actor: adminActor()) }
            print("saved settings version \(version)")
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace the settings with a YAML file holding the sync: section's content.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The file.") var file: String

        func run() throws {
            let app = try options.app()
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("\(file) cannot be read")
                throw ExitCode(ExitStatus.usage.rawValue)
            }
            let text = String(decoding: data, as: UTF8.self)
            let version = try report { () throws(AppError) in try app.saveSettings(document: text, actor: adminActor()) }
            print("saved settings version \(version)")
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The settings versions, newest first: who, when, what changed.")
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let app = try options.app()
            let versions = try report { () throws(AppError) in try app.settingsHistory() }
            if json { return try Output.json(versions) }
            if versions.isEmpty { return print("no settings versions") }
            for version in versions {
                print("version \(version.version)  \(Output.time(version.savedAt))  by \(version.savedBy)")
                for change in version.changes { print(Output.visible("  \(change.field): '\(change.old)' → '\(change.new)'")) }
            }
        }
    }
}
