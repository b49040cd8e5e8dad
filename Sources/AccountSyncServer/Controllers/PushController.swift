import AccountSyncApp
import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SyncCore

/// Connector agents push complete datasets: open a session, upload users and groups (each a
/// gzip-compressed JSON Lines stream with its row count and SHA-256), then commit — both datasets
/// replaced in one transaction, and a run started if asked. A dropped connection, a wrong count or
/// digest, or an abandoned session leaves the stored datasets exactly as they were.
struct PushController {
    let app: AccountSync
    let sessions: PushSessions
    let progress: ProgressBoard

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.post("push", use: open)
        group.post("push/incomplete", use: incomplete)
        group.put("push/:id/:kind", use: upload)
        group.post("push/:id/commit", use: commit)
    }

    struct OpenRequest: Decodable {
        var agent: String
        var source: String?
    }

    struct IncompleteRequest: Decodable {
        var agent: String
        var source: String?
        var reason: String
    }

    struct CommitRequest: Decodable {
        var run: Bool?
    }

    @Sendable func open(request: Request, context: ServerContext) async throws -> Response {
        let principal = try Access.require(.pushDatasets, context, request: request)
        let body = try await request.decode(as: OpenRequest.self, context: context)
        let agent = try Self.agent(body.agent, source: body.source)
        let id = sessions.open(by: principal.actor, agent: agent, app: app)
        struct Opened: Encodable { var id: String; var expiresInSeconds: Int }
        return try JSONResponse.make(Opened(id: id, expiresInSeconds: Int(PushSessions.lifetime)), status: .created)
    }

    @Sendable func upload(request: Request, context: ServerContext) async throws -> Response {
        let principal = try Access.require(.pushDatasets, context, request: request)
        let session = try sessions.session(context.parameters.get("id") ?? "", by: principal.actor)
        guard let kind = context.parameters.get("kind").flatMap(DatasetKind.init(rawValue:)) else {
            throw APIError.badParameter("kind", "'\(context.parameters.get("kind") ?? "")' is not users or groups")
        }
        guard let rowsText = request.headers[.init("X-Row-Count")!], let rows = Int(rowsText), rows >= 0 else {
            throw APIError.badParameter("X-Row-Count", "missing, or not a whole number: the number of rows the upload holds")
        }
        guard let digest = request.headers[.init("X-Content-SHA256")!], digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
            throw APIError.badParameter("X-Content-SHA256", "missing, or not 64 hex digits: the SHA-256 of the uncompressed JSON Lines")
        }
        let gzip = request.headers[.contentEncoding]?.lowercased() == "gzip"
        let staged = try useCase { () throws(AppError) in
            try StagedUpload(app: app, stagingName: AccountSync.stagingName(session: session.id, kind: kind), kind: kind, source: session.agent.source)
        }
        do {
            let decompressor = gzip ? try ZlibDecompressor(algorithm: .gzip) : nil
            var window = ByteBufferAllocator().buffer(capacity: 64 * 1024)
            for try await var chunk in request.body {
                if let decompressor {
                    try chunk.decompressStream(with: decompressor, window: &window) { output in
                        try staged.append(output.readableBytesView)
                    }
                    window.clear()
                } else {
                    try staged.append(chunk.readableBytesView)
                }
            }
            let stored = try staged.finish(expectedRows: rows, expectedSHA256: digest)
            sessions.markUploaded(session.id, kind)
            struct Uploaded: Encodable { var kind: DatasetKind; var rows: Int }
            return try JSONResponse.make(Uploaded(kind: kind, rows: stored))
        } catch let error as AppError {
            staged.abandon()
            throw APIError(.badRequest, code: "UPLOAD_REFUSED", error.message)
        } catch {
            // A dropped connection, a broken gzip stream: nothing of this upload is kept.
            staged.abandon()
            throw APIError(.badRequest, code: "UPLOAD_INCOMPLETE", "the upload did not arrive whole (\(error)); nothing of it was kept")
        }
    }

    @Sendable func commit(request: Request, context: ServerContext) async throws -> Response {
        let principal = try Access.require(.pushDatasets, context, request: request)
        let session = try sessions.session(context.parameters.get("id") ?? "", by: principal.actor)
        let body = try await request.decode(as: CommitRequest.self, context: context)
        guard !session.uploaded.isEmpty else { throw APIError(.conflict, code: "NOTHING_UPLOADED", "upload users and/or groups before the commit") }
        let kinds = DatasetKind.allCases.filter(session.uploaded.contains)
        try useCase { () throws(AppError) in try app.commitPush(session: session.id, kinds: kinds, agent: session.agent, actor: principal.actor) }
        sessions.close(session.id)
        guard body.run == true else {
            struct Committed: Encodable { var committed: [DatasetKind] }
            return try JSONResponse.make(Committed(committed: kinds))
        }
        let id = try await progress.start(app, AccountSync.RunOptions(trigger: .agent, startedBy: principal.actor, agent: session.agent))
        return try RunStarted.response(id)
    }

    @Sendable func incomplete(request: Request, context: ServerContext) async throws -> Response {
        let principal = try Access.require(.pushDatasets, context, request: request)
        let body = try await request.decode(as: IncompleteRequest.self, context: context)
        let agent = try Self.agent(body.agent, source: body.source)
        let id = try useCase { () throws(AppError) in try app.recordIncompletePull(agent: agent, reason: String(body.reason.prefix(4_000)), actor: principal.actor) }
        struct Recorded: Encodable { var id: Int64 }
        return try JSONResponse.make(Recorded(id: id), status: .created)
    }

    private static func agent(_ name: String, source: String?) throws(APIError) -> AgentInfo {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 100 else { throw APIError.badParameter("agent", "1 to 100 characters: the agent's name") }
        return AgentInfo(name: name, source: String((source ?? "").prefix(1_000)))
    }
}

/// The open push sessions of this server (in memory: a restart abandons them, and their staged
/// datasets are dropped). A session belongs to the token that opened it and lasts an hour.
final class PushSessions: @unchecked Sendable {
    struct Session {
        var id: String
        var owner: String
        var agent: AgentInfo
        var opened: Date
        var uploaded: Set<DatasetKind>
    }

    static let lifetime: TimeInterval = 3_600
    private let lock = NSLock()
    private var sessions: [String: Session] = [:]

    func open(by owner: String, agent: AgentInfo, app: AccountSync) -> String {
        let id = UUID().uuidString.lowercased()
        lock.lock()
        let expired = sessions.values.filter { Date().timeIntervalSince($0.opened) > Self.lifetime }
        for session in expired { sessions[session.id] = nil }
        sessions[id] = Session(id: id, owner: owner, agent: agent, opened: Date(), uploaded: [])
        lock.unlock()
        for session in expired { app.abandonPush(session: session.id) }
        return id
    }

    func session(_ id: String, by owner: String) throws(APIError) -> Session {
        lock.lock()
        defer { lock.unlock() }
        guard let session = sessions[id], session.owner == owner, Date().timeIntervalSince(session.opened) <= Self.lifetime else {
            throw APIError.notFound("no open push session '\(id)' for this token (sessions last an hour; open a new one)")
        }
        return session
    }

    func markUploaded(_ id: String, _ kind: DatasetKind) {
        lock.lock()
        defer { lock.unlock() }
        sessions[id]?.uploaded.insert(kind)
    }

    func close(_ id: String) {
        lock.lock()
        defer { lock.unlock() }
        sessions[id] = nil
    }
}
