import AccountSyncApp
import ArgumentParser
import Foundation
import SyncCore
import SyncStore

/// `account-sync groups list`: the user groups as a tree.
struct GroupsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups", abstract: "Show the user groups.", subcommands: [List.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the user groups as a tree, with member counts.")
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Print JSON (a flat list with parents).") var json = false

        struct GroupJSON: Encodable {
            var groupId, name, parentGroupId, externalId: String
            var managed: Bool
            var members: Int
            var thirdParty: [String: String]
        }

        func run() throws {
            let app = try options.app()
            let state = try report { () throws(AppError) in try app.withStore { try $0.state() } }
            var members: [String: Int] = [:]
            for user in state.users { for id in user.groupIds { members[id, default: 0] += 1 } }
            if json {
                return try Output.json(state.groups.map {
                    GroupJSON(groupId: $0.groupId, name: $0.name, parentGroupId: $0.parentGroupId, externalId: $0.externalId, managed: $0.managed, members: members[$0.groupId] ?? 0, thirdParty: $0.thirdParty)
                })
            }
            let ids = Set(state.groups.map(\.groupId))
            let children = Dictionary(grouping: state.groups) { ids.contains($0.parentGroupId) ? $0.parentGroupId : "" }
            var lines: [String] = []
            var visited = Set<String>()
            func walk(_ parent: String, depth: Int) {
                for group in (children[parent] ?? []).sorted(by: { $0.name < $1.name }) where visited.insert(group.groupId).inserted {
                    let indent = String(repeating: "  ", count: depth)
                    lines.append("\(indent)\(group.name.isEmpty ? group.groupId : group.name)  [\(group.groupId)]  \(members[group.groupId] ?? 0) members\(group.managed ? "" : "  (local)")\(group.thirdParty["ldapDN"].map { "  \($0)" } ?? "")")
                    walk(group.groupId, depth: depth + 1)
                }
            }
            walk("", depth: 0)
            print(lines.isEmpty ? "no user groups" : lines.joined(separator: "\n"))
        }
    }
}
