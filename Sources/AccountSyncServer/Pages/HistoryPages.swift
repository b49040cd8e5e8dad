import AccountSyncApp
import Foundation
import Hummingbird
import SyncCore
import SyncStore

/// The Update History and its runs: the filtered list, a run's details with every section and
/// the Approve button of a run the safeguard stopped, a section's full list, Sync now and Dry run,
/// and a running run's progress.
struct HistoryPages {
    let app: AccountSync
    let renderer: PageRenderer
    let progress: ProgressBoard
    var halfway: (@Sendable () -> Void)?

    func addRoutes(to router: RouterGroup<ServerContext>) {
        router.get("history", use: history)
        router.post("runs", use: start)
        router.get("runs/:id", use: run)
        router.get("runs/:id/items/:section", use: section)
        router.get("runs/:id/progress", use: runProgress)
        router.post("runs/:id/approve", use: approve)
    }

    // MARK: The list

    struct HistoryView {
        var from: String
        var to: String
        var statuses: [Choice]
        var filtered: Bool
        var rows: [RunRow]
        var pager: Pager
        var csrf: String
        var problems: [String]
        var headings: [String]
        var hasRows: Bool
    }

    struct Choice { var value: String; var label: String; var checked: Bool }

    struct RunRow {
        var id: Int64
        var started: String
        var finished: String
        var status: String
        var statusLabel: String
        var trigger: String
        var cells: [CountCell]
    }

    struct CountCell { var value: Int; var link: String? }

    /// The columns of the list after the status: each a section of the run's page.
    static let columns: [(heading: String, section: String, count: @Sendable (RunCounts) -> Int)] = [
        ("Users disabled during deletion", "disabled-on-deletion", \.usersDisabledOnDelete),
        ("Failed new users", "failed-new-users", \.usersFailedNew),
        ("Failed updated users", "failed-updated-users", \.usersFailedUpdate),
        ("Users not deleted", "not-deleted-users", \.usersNotDeleted),
        ("New users", "created-users", \.usersCreated),
        ("Updated users", "updated-users", \.usersUpdated),
        ("Users disabled during creation", "disabled-on-creation", \.usersDisabledOnCreate),
        ("Removed users", "removed-users", \.usersRemoved),
        ("Failed user groups", "failed-new-groups", { $0.groupsFailedNew + $0.groupsFailedUpdate + $0.groupsNotDeleted }),
        ("User group changes", "created-groups", { $0.groupsCreated + $0.groupsUpdated + $0.groupsRemoved }),
    ]

    @Sendable func history(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let dates = DateText(page.timeZone)
        let query = page.query
        var problems: [String] = []
        var statuses = Set<RunStatus>()
        for text in query.all("status") {
            if let status = RunStatus(rawValue: text) { statuses.insert(status) } else { problems.append("'\(text)' is not a status") }
        }
        func date(_ name: String, _ label: String) -> Date? {
            guard let text = query.string(name), !text.isEmpty else { return nil }
            guard let date = dates.date(fromInput: text) else {
                problems.append("\(label): '\(text)' is not a date and time like 2026-12-03T08:30")
                return nil
            }
            return date
        }
        let from = date("from", "Start")
        let to = date("to", "End")
        if let from, let to, to < from { problems.append("End is before Start") }
        let number = try query.int("page", default: 1, range: 1...1_000_000)
        let perPage = 25
        let filter = RunFilter(from: from, to: to, statuses: statuses)
        let found = try useCase { () throws(AppError) in try app.historyPage(filter, page: number, perPage: perPage) }
        let rows = found.runs.map { run in
            RunRow(
                id: run.id, started: dates.text(run.startedAt), finished: dates.text(run.finishedAt), status: run.status.rawValue,
                statusLabel: PlainWords.status(run.status), trigger: run.startedBy ?? PlainWords.trigger(run.trigger),
                cells: Self.columns.map { column in
                    let value = column.count(run.counts)
                    return CountCell(value: value, link: value > 0 ? "/runs/\(run.id)#\(column.section)" : nil)
                })
        }
        let statusParameters = statuses.map(\.rawValue).sorted()
        let pager = Pager(page: number, perPage: perPage, total: found.total) { target in
            pageLink("/history", [("from", query.string("from")), ("to", query.string("to"))] + statusParameters.map { ("status", $0) } + [("page", String(target))])
        }
        let view = HistoryView(
            from: query.string("from") ?? "", to: query.string("to") ?? "",
            statuses: [RunStatus.success, .failed, .partiallyFailed, .running].map { Choice(value: $0.rawValue, label: PlainWords.status($0), checked: statuses.contains($0)) },
            filtered: from != nil || to != nil || !statuses.isEmpty, rows: rows, pager: pager, csrf: session.csrf, problems: problems,
            headings: Self.columns.map(\.heading), hasRows: !rows.isEmpty)
        var frame = page.frame("Update History", session, section: "history")
        frame.error = problems.isEmpty ? nil : "The filter was not applied in full: " + problems.joined(separator: "; ") + "."
        return renderer.page("history", view, frame: frame)
    }

    // MARK: One run

    struct RunView {
        var id: Int64
        var status: String
        var statusLabel: String
        var facts: [Fact]
        var cause: Cause?
        var approval: ApprovalForm?
        var summary: [SummaryLine]
        var sections: [SectionView]
        var running: Bool
        var csrf: String
    }

    struct Fact { var label: String; var value: String; var link: String? }
    struct Cause {
        var headline: String
        var message: String
        var whatToDo: String
        var code: String

        init(_ failure: RunFailure) {
            headline = PlainWords.headline(failure.code)
            message = sentence(failure.message)
            whatToDo = PlainWords.whatToDo(failure.code)
            code = failure.code.rawValue
        }
    }
    struct ApprovalForm { var count: Int; var usedBy: Int64?; var reasonError: String?; var reason: String }
    struct SummaryLine { var label: String; var value: Int; var link: String?; var zero: Bool }
    struct SectionView {
        var key: String
        var title: String
        var total: Int
        var reasonHeading: String
        var items: [ItemRow]
        var more: String?
        /// For the lists of disabled users: User Management > Users > Disabled.
        var disabledUsers: String? = nil
    }
    struct ItemRow { var key: String; var link: String?; var reason: String?; var message: String }

    @Sendable func run(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let id = try Self.runId(context)
        return try runPage(id, page: page, session: session)
    }

    /// The run's page; with `reasonError`, the approval form comes back with the problem next to
    /// its field.
    private func runPage(_ id: Int64, page: PageRequest, session: PageSession, reason: String = "", reasonError: String? = nil) throws -> Response {
        guard let run = try useCase({ () throws(AppError) in try app.runDetail(id: id, includingItems: false) }) else {
            throw APIError.notFound("There is no run #\(id) in the Update History.")
        }
        let dates = DateText(page.timeZone)
        let tally = try useCase { () throws(AppError) in try app.runItemTally(id: id) }
        var sections: [SectionView] = []
        for section in RunSection.all {
            let total = tally.filter { section.matches($0.key) }.reduce(0) { $0 + $1.value }
            guard total > 0 else { continue }
            let items = try useCase { () throws(AppError) in
                try app.runItems(id: id, kind: section.kind, actions: section.actions, itemClass: section.itemClass, page: 1, perPage: 10, countingAll: false)
            }?.items ?? []
            sections.append(SectionView(
                key: section.key, title: section.title, total: total, reasonHeading: section.reasonHeading, items: items.map(Self.row),
                more: total > items.count ? "/runs/\(id)/items/\(section.key)" : nil,
                disabledUsers: section.key.hasPrefix("disabled-on-") ? "/users?tab=disabled" : nil))
        }
        var facts = [
            Fact(label: "Started", value: dates.text(run.startedAt), link: nil),
            Fact(label: "Completed", value: run.finishedAt.map(dates.text) ?? "not yet", link: nil),
            Fact(label: "Started by", value: run.startedBy ?? PlainWords.trigger(run.trigger), link: nil),
        ]
        if let finished = run.finishedAt {
            facts.insert(Fact(label: "Took", value: String(format: "%.1f s", finished.timeIntervalSince(run.startedAt)), link: nil), at: 2)
        }
        if let given = run.approval {
            let what = given.runId.map { "the list of run #\($0)" } ?? given.allowDeletions.map { "up to \($0) deletions" } ?? "deletions"
            facts.append(Fact(label: "Approved", value: "\(what), by \(given.by)" + (given.reason.map { " — “\($0)”" } ?? ""), link: given.runId.map { "/runs/\($0)" }))
        }
        if let agent = run.agent { facts.append(Fact(label: "Connector agent", value: "\(agent.name) (\(agent.source))", link: nil)) }
        if let version = run.settingsVersion { facts.append(Fact(label: "Settings", value: "version \(version)", link: "/sync/history")) }
        var approvalForm: ApprovalForm?
        if let code = run.failure?.code, code == .safeguardTripped || code == .sourceEmpty {
            let count = sections.filter { $0.key.hasPrefix("stopped-") }.reduce(0) { $0 + $1.total }
            approvalForm = ApprovalForm(
                count: count, usedBy: try useCase { () throws(AppError) in try app.approvalUsedBy(runId: id) }, reasonError: reasonError, reason: reason)
        }
        let counts = run.counts
        let summary = [
            ("New users", counts.usersCreated, "created-users"), ("Updated users", counts.usersUpdated, "updated-users"),
            ("Restored users", counts.usersRestored, "restored-users"), ("Disabled during creation", counts.usersDisabledOnCreate, "disabled-on-creation"),
            ("Disabled during deletion", counts.usersDisabledOnDelete, "disabled-on-deletion"), ("Removed users", counts.usersRemoved, "removed-users"),
            ("Failed new users", counts.usersFailedNew, "failed-new-users"), ("Failed updated users", counts.usersFailedUpdate, "failed-updated-users"),
            ("Users not deleted", counts.usersNotDeleted, "not-deleted-users"), ("New user groups", counts.groupsCreated, "created-groups"),
            ("Updated user groups", counts.groupsUpdated, "updated-groups"), ("Removed user groups", counts.groupsRemoved, "removed-groups"),
            ("Failed user groups", counts.groupsFailedNew + counts.groupsFailedUpdate, "failed-new-groups"),
            ("User groups not deleted", counts.groupsNotDeleted, "not-deleted-groups"),
        ].map { label, value, key in
            SummaryLine(label: label, value: value, link: value > 0 && sections.contains { $0.key == key } ? "#\(key)" : nil, zero: value == 0)
        }
        let view = RunView(
            id: id, status: run.status.rawValue, statusLabel: PlainWords.status(run.status), facts: facts,
            cause: run.failure.map(Cause.init),
            approval: approvalForm, summary: summary, sections: sections, running: run.status == .running, csrf: session.csrf)
        return renderer.page("run", view, frame: page.frame("Run #\(id)", session, section: "history"), status: reasonError == nil ? .ok : .badRequest)
    }

    /// An item as a line of a list; it links to the user's or group's page when the run left one
    /// (not for a row that failed to be created, one the run removed, or a warning about an entry).
    static func row(_ item: RunItem) -> ItemRow {
        let gone = (item.action == .create && item.isFailure) || (item.action == .remove && item.code == nil)
            || item.code?.isWarning == true || item.key.hasPrefix("row ")
        let link = gone ? nil : item.kind == .user ? userLink(item.key) : UserPages.groupLink(item.key)
        return ItemRow(key: item.key, link: link, reason: item.code.map(PlainWords.reason), message: item.message)
    }

    static func userLink(_ account: String) -> String {
        "/users/" + pathSegment(account)
    }

    // MARK: One section, all of it

    struct SectionPage { var id: Int64; var title: String; var reasonHeading: String; var items: [ItemRow]; var pager: Pager }

    @Sendable func section(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let id = try Self.runId(context)
        guard let section = RunSection.named(context.parameters.get("section") ?? "") else {
            throw APIError.notFound("A run's page has no such list.")
        }
        let number = try page.query.int("page", default: 1, range: 1...1_000_000)
        guard let found = try useCase({ () throws(AppError) in
            try app.runItems(id: id, kind: section.kind, actions: section.actions, itemClass: section.itemClass, page: number, perPage: 100)
        }) else { throw APIError.notFound("There is no run #\(id) in the Update History.") }
        let pager = Pager(page: number, perPage: 100, total: found.total) { "/runs/\(id)/items/\(section.key)?page=\($0)" }
        let view = SectionPage(id: id, title: section.title, reasonHeading: section.reasonHeading, items: found.items.map(Self.row), pager: pager)
        return renderer.page("run-section", view, frame: page.frame("\(section.title) · run #\(id)", session, section: "history"))
    }

    // MARK: Sync now, Dry run, progress, approve

    struct PlanPage {
        var status: String
        var statusLabel: String
        var cause: Cause?
        var sections: [SectionView]
        var nothing: Bool
        var csrf: String
    }

    @Sendable func start(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let form = try await page.form(session)
        if form["mode"] == "dry" {
            let plan = try useCase { () throws(AppError) in try app.dryRun() }
            let sections = RunSection.all.compactMap { section -> SectionView? in
                let items = plan.items.filter(section.matches)
                guard !items.isEmpty else { return nil }
                return SectionView(
                    key: section.key, title: section.title, total: items.count, reasonHeading: section.reasonHeading,
                    items: items.prefix(50).map(Self.row), more: nil)
            }
            let view = PlanPage(
                status: plan.status.rawValue, statusLabel: PlainWords.status(plan.status),
                cause: plan.failure.map(Cause.init),
                sections: sections, nothing: sections.isEmpty && plan.failure == nil, csrf: session.csrf)
            return renderer.page("plan", view, frame: page.frame("Dry run", session, section: "sync"))
        }
        let id = try await progress.start(app, AccountSync.RunOptions(trigger: .api, halfway: halfway, startedBy: session.actor))
        return .redirect(to: "/runs/\(id)/progress", type: .normal)
    }

    struct ProgressView {
        var id: Int64
        var phase: String
        var done: Int
        var total: Int
        var started: String
        /// Whether the run has said how many changes it writes (0 would still open a section).
        var knowsTotal: Bool
    }

    @Sendable func runProgress(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let id = try Self.runId(context)
        guard let run = try useCase({ () throws(AppError) in try app.runDetail(id: id, includingItems: false) }) else {
            throw APIError.notFound("There is no run #\(id) in the Update History.")
        }
        let snapshot = progress.snapshot(of: id)
        if run.status != .running || snapshot?.phase == .finished { return .redirect(to: "/runs/\(id)", type: .normal) }
        let view = ProgressView(
            id: id, phase: snapshot?.phase.rawValue ?? "applying", done: snapshot?.done ?? 0, total: snapshot?.total ?? 0,
            started: DateText(page.timeZone).text(run.startedAt), knowsTotal: (snapshot?.total ?? 0) > 0)
        var frame = page.frame("Run #\(id) is running", session, section: "history")
        frame.refreshSeconds = 1
        return renderer.page("progress", view, frame: frame)
    }

    @Sendable func approve(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let form = try await page.form(session)
        let id = try Self.runId(context)
        guard let reason = form.text("reason") else {
            return try runPage(id, page: page, session: session, reasonError: "Give a reason: it is recorded with your approval in the Update History.")
        }
        guard reason.count <= 500 else {
            return try runPage(id, page: page, session: session, reason: reason, reasonError: "The reason is \(reason.count) characters; at most 500.")
        }
        let approval = RunApproval(runId: id, allowDeletions: nil, by: session.actor, reason: reason)
        let started = try await progress.start(app, AccountSync.RunOptions(trigger: .api, approval: approval, halfway: halfway, startedBy: session.actor))
        return .redirect(to: "/runs/\(started)/progress", type: .normal)
    }

    static func runId(_ context: ServerContext) throws(APIError) -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIError.notFound("'\(context.parameters.get("id") ?? "")' is not a run number.")
        }
        return id
    }
}
