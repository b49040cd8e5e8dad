import AccountSyncApp
import ArgumentParser
import Foundation
import SyncCore
import SyncStore

extension DatasetKind: ExpressibleByArgument {}

/// `account-sync datasets …`: the user and group datasets a run reads.
struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets", abstract: "Import, list, show and delete datasets.",
        subcommands: [Import.self, List.self, Show.self, Delete.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a CSV or JSON Lines file as a dataset (replacing one of the same name).",
            discussion: """
                CSV: RFC 4180, UTF-8 (a BOM is fine), a header row of column names.
                  users:  account,name,email,mobile,accountType,groupIds,disabled,externalId,thirdParty.<system>
                  groups: groupId,name,parentGroupId,externalId
                groupIds are separated by ';'; disabled is true/false/yes/no/1/0 or empty.
                JSON Lines (.jsonl): one object a line with the same keys; groupIds may be a list,
                thirdParty an object. A malformed file is refused whole with file:line and what is
                wrong, and the previous version of the dataset stays.

                Example: account-sync datasets import --kind users people people.csv
                """)

        @OptionGroup var options: GlobalOptions
        @Option(help: "users or groups.") var kind: DatasetKind
        @Argument(help: "The dataset's name (what sync.users.dataset / sync.groups.dataset select).") var name: String
        @Argument(help: "A .csv or .jsonl file.") var file: String

        func run() throws {
            let app = try options.app()
            let info = try report { () throws(AppError) in try app.importDataset(kind: kind, name: name, file: file) }
            print("imported \(info.rowCount) \(info.kind == .users ? "users" : "groups") as dataset '\(info.name)' from \(file)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stored datasets.")
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let app = try options.app()
            let datasets = try report { () throws(AppError) in try app.withStore { try $0.datasets() } }
            if json { return try Output.json(datasets) }
            let selected = [app.config.usersDataset, app.config.groupsDataset].compactMap { $0 }
            print(Output.table(
                ["NAME", "KIND", "ROWS", "IMPORTED", "SOURCE", "SELECTED"],
                datasets.map { [$0.name, $0.kind.rawValue, "\($0.rowCount)", Output.time($0.importedAt), $0.source, selected.contains($0.name) ? "yes" : ""] }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a dataset's rows.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The dataset's name.") var name: String
        @Option(help: "Show at most N rows.") var limit: Int = 50
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard limit >= 0 else { throw ValidationError("--limit must be 0 or more") }
        }

        func run() throws {
            let app = try options.app()
            let output = try report { () throws(AppError) in
                try app.withStore { store -> String in
                    guard let info = try store.dataset(named: name) else {
                        throw AppError(.notFound, "no dataset named '\(name)' (see: account-sync datasets list)")
                    }
                    var text: [String] = []
                    switch info.kind {
                    case .users:
                        let rows = try store.userRows(dataset: name, limit: limit)
                        if json { return try Output.jsonText(rows) }
                        text.append("dataset '\(name)': \(info.rowCount) users from \(info.source), imported \(Output.time(info.importedAt))")
                        text.append(Output.table(
                            ["ACCOUNT", "NAME", "EMAIL", "MOBILE", "TYPE", "GROUPS", "DISABLED", "EXTERNAL ID"],
                            rows.map { [$0.account, $0.name, $0.email, $0.mobile, $0.accountType, $0.groupIds.joined(separator: ";"), $0.disabled ? "yes" : "", $0.externalId] }))
                    case .groups:
                        let rows = try store.groupRows(dataset: name, limit: limit)
                        if json { return try Output.jsonText(rows) }
                        text.append("dataset '\(name)': \(info.rowCount) groups from \(info.source), imported \(Output.time(info.importedAt))")
                        text.append(Output.table(["GROUP ID", "NAME", "PARENT", "EXTERNAL ID"], rows.map { [$0.groupId, $0.name, $0.parentGroupId, $0.externalId] }))
                    }
                    if info.rowCount > limit { text.append("… \(info.rowCount - limit) more rows (--limit N)") }
                    return text.joined(separator: "\n")
                }
            }
            print(output)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a dataset.",
            discussion: "A run whose config still selects a deleted dataset fails with DATASET_MISSING and changes nothing.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The dataset's name.") var name: String

        func run() throws {
            let app = try options.app()
            try report { () throws(AppError) in
                let deleted = try app.withStore { try $0.deleteDataset(named: name) }
                guard deleted else { throw AppError(.notFound, "no dataset named '\(name)'") }
            }
            print("deleted dataset '\(name)'")
        }
    }
}
