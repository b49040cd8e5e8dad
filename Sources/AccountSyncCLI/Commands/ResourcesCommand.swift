import AccountSyncApp
import ArgumentParser
import Foundation
import SyncStore

/// `account-sync resources …`: stand-ins for the host application's resources, which keep their
/// owner from being removed until they are transferred.
struct ResourcesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resources", abstract: "Resources owned by users or groups (an owner cannot be removed until they are transferred).",
        subcommands: [Add.self, List.self, Transfer.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a resource owned by a user or a group.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "The owning user's account.") var owner: String?
        @Option(help: "The owning group's id.") var ownerGroup: String?
        @Argument(help: "The resource's name.") var name: String

        func validate() throws {
            guard (owner == nil) != (ownerGroup == nil) else { throw ValidationError("give exactly one of --owner ACCOUNT and --owner-group ID") }
        }

        func run() throws {
            let app = try options.app()
            let id = try report { () throws(AppError) in try app.withStore { try $0.addResource(name: name, ownerAccount: owner, ownerGroupId: ownerGroup) } }
            print("added resource #\(id) '\(name)' owned by \(owner.map { "user '\($0)'" } ?? "group '\(ownerGroup ?? "")'")")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List resources and their owners.")
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let app = try options.app()
            let resources = try report { () throws(AppError) in try app.withStore { try $0.resources() } }
            if json { return try Output.json(resources) }
            print(Output.table(["ID", "NAME", "OWNER"], resources.map { ["\($0.id)", $0.name, $0.ownerAccount.map { "user \($0)" } ?? "group \($0.ownerGroupId ?? "")"] }))
        }
    }

    struct Transfer: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move every resource of one user to another.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "The current owner's account.") var from: String
        @Option(help: "The new owner's account.") var to: String

        func run() throws {
            let app = try options.app()
            let moved = try report { () throws(AppError) in try app.withStore { try $0.transferResources(from: from, to: to) } }
            print("transferred \(moved) resources from '\(from)' to '\(to)'")
        }
    }
}
