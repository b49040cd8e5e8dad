import AccountSyncApp
import ArgumentParser
import Foundation
import SyncCore
import SyncStore

extension AccountType: ExpressibleByArgument {}

/// `account-sync users …`: the accounts in the store, admin edits and the audit trail.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "List, show, add and edit users; show a user's change history.",
        subcommands: [List.self, Show.self, Add.self, Edit.self, History.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Only disabled users.") var disabled = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let app = try options.app()
            let users = try report { () throws(AppError) in try app.withStore { try $0.users(disabledOnly: disabled) } }
            if json { return try Output.json(users.map(UserView.init)) }
            print(Output.table(
                ["ACCOUNT", "NAME", "EMAIL", "MOBILE", "TYPE", "STATUS", "MANAGED", "GROUPS"],
                users.map { [$0.account, $0.name, $0.email, $0.mobile, $0.accountType.rawValue, UserView.status($0), $0.managed ? "sync" : "local", $0.groupIds.joined(separator: ";")] }))
            print("\(users.count) users")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one user.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The account (case-insensitive).") var account: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let app = try options.app()
            let user = try report { () throws(AppError) in
                guard let user = try app.withStore({ try $0.user(account: account) }) else {
                    throw AppError(.notFound, "no user with account '\(account)'")
                }
                return user
            }
            if json { return try Output.json(UserView(user)) }
            let fields: [(String, String)] = [
                ("account", user.account), ("name", user.name), ("email", user.email), ("mobile", user.mobile),
                ("accountType", user.accountType.rawValue), ("status", UserView.status(user)),
                ("managed", user.managed ? "yes (the sync owns it)" : "no (a local account)"), ("externalId", user.externalId),
                ("groups", user.groupIds.joined(separator: ";")), ("owns resources", user.ownsResources ? "yes" : "no"),
            ] + user.thirdParty.sorted { $0.key < $1.key }.map { ("thirdParty.\($0.key)", $0.value) }
            for (name, value) in fields { print("\(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(Output.visible(value))") }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a local account that the sync does not manage.",
            discussion: "A later run reports ACCOUNT_EXISTS for a dataset row with the same account, and never deletes it.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The login name.") var account: String
        @Option(help: "Display name.") var name = ""
        @Option(help: "Email address.") var email = ""
        @Option(help: "Mobile number, with country code.") var mobile = ""
        @Option(help: "Regular User, Read-Only User or Administrator.") var type: AccountType = .regular
        @Option(help: "A group id to join; repeatable.") var group: [String] = []

        func validate() throws {
            guard !account.trimmingSpaces().isEmpty else { throw ValidationError("the account must not be empty") }
        }

        func run() throws {
            let app = try options.app()
            let record = UserRecord(
                account: account.trimmingSpaces(), name: name, email: email, mobile: mobile, accountType: type, groupIds: group,
                disabledReason: nil, externalId: "", thirdParty: [:])
            try report { () throws(AppError) in try app.withStore { try $0.addLocalUser(record, actor: adminActor()) } }
            print("added local user '\(record.account)'")
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Edit a user as an administrator (recorded in the user's history).",
            discussion: """
                An edit of a field that the sync does not own (sync.ownedFields) survives later runs;
                an edit of an owned field is overwritten by the next run. A user disabled here stays
                disabled whatever the source says, until enabled here.

                Example: account-sync users edit alice --mobile "+86 138 0013 8000" --type Administrator
                """)
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The account (case-insensitive).") var account: String
        @Option(help: "Display name.") var name: String?
        @Option(help: "Email address.") var email: String?
        @Option(help: "Mobile number.") var mobile: String?
        @Option(help: "Regular User, Read-Only User or Administrator.") var type: AccountType?
        @Flag(help: "Enable or disable the account.") var activation: Activation?

        enum Activation: String, EnumerableFlag {
            case enable, disable
        }

        func validate() throws {
            if name == nil && email == nil && mobile == nil && type == nil && activation == nil {
                throw ValidationError("nothing to change; give at least one of --name, --email, --mobile, --type, --enable, --disable")
            }
        }

        func run() throws {
            let app = try options.app()
            let edit = UserEdit(name: name, email: email, mobile: mobile, accountType: type, disabled: activation.map { $0 == .disable })
            let changes = try report { () throws(AppError) in try app.withStore { try $0.editUser(account: account, edit, actor: adminActor()) } }
            if changes.isEmpty { print("'\(account)' already had those values; nothing changed") }
            for change in changes { print(Output.visible("\(account): \(change.field): '\(change.old)' → '\(change.new)'")) }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every change to a user: by which run or admin, when, field, old and new value.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The account (case-insensitive; a removed user is found by its last account).") var account: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let app = try options.app()
            let changes = try report { () throws(AppError) in
                let changes = try app.withStore { try $0.userHistory(account: account) }
                guard !changes.isEmpty else { throw AppError(.notFound, "no user with account '\(account)' now or in the past") }
                return changes
            }
            if json { return try Output.json(changes) }
            print(Output.table(["WHEN", "BY", "ACCOUNT", "FIELD", "OLD", "NEW"], changes.map { [Output.time($0.at), $0.actor, $0.account, $0.field, $0.old, $0.new] }))
        }
    }
}
