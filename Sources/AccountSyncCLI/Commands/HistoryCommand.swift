import AccountSyncApp
import ArgumentParser
import Foundation
import SyncCore
import SyncStore

extension RunStatus: ExpressibleByArgument {}

/// `account-sync history`: the Update History.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "The Update History: every run, its status and counts.",
        subcommands: [List.self, Show.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List runs, newest first.",
            discussion: """
                Examples:
                  account-sync history --from 2026-11-01 --status failed --status partially_failed
                  account-sync history --json
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "Runs started at or after this time (local time unless a zone is given).") var from: DateArgument?
        @Option(help: "Runs started at or before this time (a day alone means its end).") var to: DateArgument?
        @Option(help: "Only runs with this status (running, success, partially_failed, failed); repeatable.") var status: [RunStatus] = []
        @Option(help: "Show at most N runs.") var limit: Int?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
        }

        func run() throws {
            let app = try options.app()
            // A day alone means up to the end of that day in local time: 23 or 25 hours on the days
            // the clocks change.
            let end = to.map { argument in
                guard argument.dayOnly, let next = Calendar.current.date(byAdding: .day, value: 1, to: argument.date) else { return argument.date }
                return next.addingTimeInterval(-0.001)
            }
            let filter = RunFilter(from: from?.date, to: end, statuses: Set(status))
            let runs = try report { () throws(AppError) in try app.history(filter, limit: limit) }
            if json { return try Output.json(runs) }
            if runs.isEmpty {
                print("no runs\(from != nil || to != nil || !status.isEmpty ? " match" : " yet")")
                return
            }
            print(RunRendering.historyTable(runs))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One run in detail: failure cause, failed and disabled users and groups.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The run's id (see: account-sync history).") var id: Int64
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "List every item instead of the first 20 of each section.") var all = false

        func run() throws {
            let app = try options.app()
            let record = try report { () throws(AppError) in
                let found = try app.runDetail(id: id, includingItems: json || all)  // the text prints a sample of them
                guard let found else { throw AppError(.notFound, "no run #\(id) (see: account-sync history)") }
                return found
            }
            if json { try Output.json(record) } else { print(try report { () throws(AppError) in try RunRendering.detail(record, all: all, app: app) }) }
        }
    }
}
