import AccountSyncApp
import Foundation
import Hummingbird
import SyncCore
import SyncStore

/// The Update History and runs: list with filters, one run, start a run or a dry run, progress.
struct RunsController {
    let app: AccountSync
    let progress: ProgressBoard
    /// Test-only: called halfway through a run's apply (the fault tests pause there).
    var halfway: (@Sendable () -> Void)?

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.get("runs", use: list)
        group.post("runs", use: start)
        group.get("runs/:id", use: show)
        group.get("runs/:id/progress", use: showProgress)
        group.get("runs/:id/items", use: items)
    }

    /// The body of `POST /api/v1/runs`.
    struct RunRequest: Decodable {
        var dryRun: Bool?
        var allowDeletions: Int?
        var approve: Int64?
        var reason: String?
    }

    @Sendable func list(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        let query = Query(request: request)
        var statuses = Set<RunStatus>()
        for text in query.all("status") { statuses.insert(try Query.parse(text, name: "status", as: RunStatus.self)) }
        let filter = RunFilter(from: try query.date(_name: "from"), to: try query.date(_name: "to"), statuses: statuses)
        let page = try query.int("page", default: 1, range: 1...1_000_000)
        let perPage = try query.int("perPage", default: 20, range: 1...200)
        let found = try useCase { () throws(AppError) in try app.historyPage(filter, page: page, perPage: perPage) }
        return try JSONResponse.make(Page(items: found.runs, page: page, perPage: perPage, total: found.total))
    }

    @Sendable func show(request: Request, context: ServerContext) async throws -> Response {
        let id = try runId(context)
        let run = try readableRun(id, includingItems: true, request: request, context: context)
        return try JSONResponse.make(run)
    }

    /// A page of a run's items: `kind`, `action`, `code` (a code, `none` or `any`) filter them.
    @Sendable func items(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        let id = try runId(context)
        let query = Query(request: request)
        let kind = try query.choice("kind", of: ItemKind.self)
        let action = try query.choice("action", of: ItemAction.self)
        var code: String?
        if let text = query.string("code"), !text.isEmpty {
            guard text == "none" || text == "any" || ItemCode(rawValue: text) != nil else {
                throw APIError.badParameter("code", "'\(text)' is not an item code, none or any")
            }
            code = text
        }
        let page = try query.int("page", default: 1, range: 1...1_000_000)
        let perPage = try query.int("perPage", default: 50, range: 1...500)
        guard let found = try useCase({ () throws(AppError) in try app.runItems(id: id, kind: kind, actions: action.map { [$0] } ?? [], code: code, page: page, perPage: perPage) }) else {
            throw APIError.notFound("no run #\(id)")
        }
        return try JSONResponse.make(found)
    }

    @Sendable func showProgress(request: Request, context: ServerContext) async throws -> Response {
        let id = try runId(context)
        // Polled every quarter second by a waiting agent: the run alone, never its items.
        let run = try readableRun(id, includingItems: false, request: request, context: context)
        if let snapshot = progress.snapshot(of: id) { return try JSONResponse.make(snapshot) }
        let phase: RunProgress.Phase = run.status == .running ? .applying : .finished
        return try JSONResponse.make(RunProgress.Snapshot(runId: id, phase: phase, done: 0, total: 0))
    }

    /// A dry run answers with the plan (200); a run answers 202 with its id at once and goes on.
    @Sendable func start(request: Request, context: ServerContext) async throws -> Response {
        let body = try await request.decode(as: RunRequest.self, context: context)
        let principal = try Access.require(body.dryRun == true ? .read : .startRuns, context, request: request)
        if let count = body.allowDeletions, count < 0 { throw APIError.badParameter("allowDeletions", "must be 0 or more") }
        if body.approve != nil && body.allowDeletions != nil { throw APIError.badParameter("approve", "give approve or allowDeletions, not both") }
        if (body.approve != nil || body.allowDeletions != nil), !principal.canWrite, body.dryRun != true {
            throw APIError.forbidden("approve deletions (an admin must)")
        }
        let approval = (body.approve != nil || body.allowDeletions != nil)
            ? RunApproval(runId: body.approve, allowDeletions: body.allowDeletions, by: principal.actor, reason: body.reason) : nil
        if body.dryRun == true {
            let plan = try useCase { () throws(AppError) in try app.dryRun(approval: approval) }
            return try JSONResponse.make(PlanView(plan))
        }
        let trigger: RunTrigger = if case .token(_, .push) = principal { .agent } else { .api }
        let id = try await progress.start(app, AccountSync.RunOptions(trigger: trigger, approval: approval, halfway: halfway, startedBy: principal.actor))
        return try RunStarted.response(id)
    }

    /// A run the principal may read: any, with read access; with a push token, only the runs that
    /// token started (an agent waits for the run its push started, and reads nothing else).
    private func readableRun(_ id: Int64, includingItems: Bool, request: Request, context: ServerContext) throws(APIError) -> RunRecord {
        let isPushToken = if case .token(_, .push)? = context.principal { true } else { false }
        if !isPushToken { _ = try Access.require(.read, context, request: request) }
        let run = try useCase { () throws(AppError) in try app.runDetail(id: id, includingItems: includingItems) }
        if isPushToken {
            guard let run, run.startedBy == context.principal?.actor else { throw APIError.forbidden("read runs it did not start (its scope is push)") }
            return run
        }
        guard let run else { throw APIError.notFound("no run #\(id)") }
        return run
    }

    private func runId(_ context: ServerContext) throws(APIError) -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIError.badParameter("id", "'\(context.parameters.get("id") ?? "")' is not a run id")
        }
        return id
    }
}

/// The progress of the runs this server started, by run id (the last 100).
public final class ProgressBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var runs: [(Int64, RunProgress)] = []

    public init() {}

    /// Waits until every run started here has finished, for at most `seconds`.
    public func waitUntilIdle(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            lock.lock()
            let busy = runs.contains { $0.1.snapshot.phase != .finished }
            lock.unlock()
            if !busy { return }
            usleep(100_000)
        }
    }

    /// Starts a run in the background, tracked here; returns its id (or why it could not start).
    func start(_ app: AccountSync, _ options: AccountSync.RunOptions) async throws(APIError) -> Int64 {
        var options = options
        let tracker = RunProgress()
        options.progress = tracker
        let id: Int64
        do { id = try await app.startRun(options) } catch { throw APIError(error) }
        track(id, tracker)
        return id
    }

    private func track(_ id: Int64, _ progress: RunProgress) {
        lock.lock()
        defer { lock.unlock() }
        runs.append((id, progress))
        if runs.count > 100 { runs.removeFirst(runs.count - 100) }
    }

    func snapshot(of id: Int64) -> RunProgress.Snapshot? {
        lock.lock()
        defer { lock.unlock() }
        return runs.last { $0.0 == id }?.1.snapshot
    }
}
