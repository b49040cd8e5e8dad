import AccountSyncApp
import AccountSyncConfig
import AsyncHTTPClient
import CompressNIO
import Crypto
import DatasetFormats
import DirectoryConnector
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SyncCore

/// A connector agent's conversation with the core: push both datasets of a complete pull in one
/// session (each a gzip-compressed JSON Lines stream with its row count and SHA-256), commit,
/// optionally start the run and wait for it; or report a pull that did not finish. TLS is verified
/// against `core.tls.caFile` (or the system's CAs).
public struct AgentClient: Sendable {
    public let settings: CoreSettings
    private let token: String

    public init(settings: CoreSettings, token: String) {
        self.settings = settings
        self.token = token
    }

    /// Rows per chunk of the upload stream: small enough to keep memory flat, large enough to compress well.
    static let chunkRows = 2_000

    /// Pushes both datasets; with `run`, starts the run and returns its id.
    public func push(_ pulled: PulledDatasets, source: String, run: Bool) async throws(AppError) -> Int64? {
        try await withClient { client throws(AppError) in
            let opened = try await send(client, .POST, "/api/v1/push", json: ["agent": settings.agent, "source": source], expect: 201)
            guard let session = opened["id"] as? String else { throw AppError(.runFailed, "the core did not open a push session") }
            try await upload(client, session: session, kind: .users, lines: Self.chunks(pulled.users, JSONLinesWriter.lines), rows: pulled.users.count)
            try await upload(client, session: session, kind: .groups, lines: Self.chunks(pulled.groups, JSONLinesWriter.lines), rows: pulled.groups.count)
            let committed = try await send(client, .POST, "/api/v1/push/\(session)/commit", json: ["run": run], expect: run ? 202 : 200)
            return (committed["id"] as? NSNumber).map { $0.int64Value } ?? (committed["id"] as? Int).map(Int64.init)
        }
    }

    /// Tells the core that the pull did not finish (recorded there as a failed SOURCE_INCOMPLETE run).
    @discardableResult
    public func reportIncomplete(source: String, reason: String) async throws(AppError) -> Int64? {
        try await withClient { client throws(AppError) in
            let recorded = try await send(client, .POST, "/api/v1/push/incomplete", json: ["agent": settings.agent, "source": source, "reason": reason], expect: 201)
            return (recorded["id"] as? Int).map(Int64.init)
        }
    }

    /// Waits for a run to finish (polling its progress), then reads it.
    public func waitForRun(_ id: Int64, timeout: Double = 4 * 3_600) async throws(AppError) -> RunRecord {
        try await withClient { client throws(AppError) in
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let progress = try await send(client, .GET, "/api/v1/runs/\(id)/progress", expect: 200)
                if progress["phase"] as? String == "finished" { break }
                try? await Task.sleep(for: .milliseconds(250))
            }
            let data = try await sendRaw(client, .GET, "/api/v1/runs/\(id)", body: nil, expect: 200)
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            do { return try decoder.decode(RunRecord.self, from: data) } catch {
                throw AppError(.runFailed, "the core's answer about run #\(id) cannot be read: \(error)")
            }
        }
    }

    // MARK: The upload

    /// The JSON Lines of `rows`, chunk by chunk.
    static func chunks<Row>(_ rows: [Row], _ lines: @escaping @Sendable ([Row]) -> String) -> @Sendable () -> AnyIterator<String> {
        nonisolated(unsafe) let rows = rows
        return {
            var start = 0
            return AnyIterator {
                guard start < rows.count else { return nil }
                let end = min(start + chunkRows, rows.count)
                defer { start = end }
                return lines(Array(rows[start..<end]))
            }
        }
    }

    private func upload(_ client: HTTPClient, session: String, kind: DatasetKind, lines: @escaping @Sendable () -> AnyIterator<String>, rows: Int) async throws(AppError) {
        // First pass: the digest of the uncompressed stream (sent before the body). Second: the body.
        var hash = SHA256()
        for chunk in lines() { hash.update(data: Array(chunk.utf8)) }
        let digest = hash.finalize().map { String(format: "%02x", $0) }.joined()
        var request = HTTPClientRequest(url: settings.url + "/api/v1/push/\(session)/\(kind.rawValue)")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.headers.add(name: "X-Row-Count", value: String(rows))
        request.headers.add(name: "X-Content-SHA256", value: digest)
        request.body = .stream(GzipStream(lines: lines), length: .unknown)
        _ = try await execute(client, request, what: "upload of the \(kind.rawValue)", expect: 200)
    }

    // MARK: HTTP

    private func withClient<T>(_ body: (HTTPClient) async throws(AppError) -> T) async throws(AppError) -> T {
        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = settings.caFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw AppError(.configInvalid, "core.tls.caFile \(caFile) cannot be read as PEM certificates: \(error)")
            }
        }
        if !settings.verifyCertificate { tls.certificateVerification = .none }
        configuration.tlsConfiguration = tls
        configuration.timeout = .init(connect: .seconds(15), read: .seconds(300))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let result: Result<T, AppError>
        do { result = .success(try await body(client)) } catch { result = .failure(error) }
        try? await client.shutdown()
        return try result.get()
    }

    private func send(_ client: HTTPClient, _ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, expect: Int) async throws(AppError) -> [String: Any] {
        let body = try json.map { object throws(AppError) in
            do { return try JSONSerialization.data(withJSONObject: object) } catch { throw AppError(.runFailed, "\(error)") }
        }
        let data = try await sendRaw(client, method, path, body: body, expect: expect)
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    private func sendRaw(_ client: HTTPClient, _ method: HTTPMethod, _ path: String, body: Data?, expect: Int) async throws(AppError) -> Data {
        var request = HTTPClientRequest(url: settings.url + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: Array(body)))
        }
        return try await execute(client, request, what: "\(method.rawValue) \(path)", expect: expect)
    }

    private func execute(_ client: HTTPClient, _ request: HTTPClientRequest, what: String, expect: Int) async throws(AppError) -> Data {
        do {
            let response = try await client.execute(request, timeout: .seconds(3_600))
            let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
            let data = Data(buffer: body)
            guard Int(response.status.code) == expect else {
                let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
                let message = object?["message"] as? String ?? String(decoding: data.prefix(500), as: UTF8.self)
                let status: ExitStatus = response.status.code == 401 || response.status.code == 403 ? .configInvalid : .runFailed
                throw AppError(status, "the core (\(settings.url)) refused the \(what): \(response.status.code) \(message)")
            }
            return data
        } catch let error as AppError {
            throw error
        } catch {
            throw AppError(.sourceIncomplete, "cannot reach the core at \(settings.url) for the \(what): \(error). Check core.url, and core.tls.caFile (the CA that signed the core's certificate)")
        }
    }
}

/// The gzip-compressed upload body, produced chunk by chunk as the server reads it.
struct GzipStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let lines: @Sendable () -> AnyIterator<String>

    struct AsyncIterator: AsyncIteratorProtocol {
        var source: AnyIterator<String>
        var compressor: ZlibCompressor?
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            guard !finished, let compressor else { return nil }
            if let chunk = source.next() {
                var input = ByteBuffer(string: chunk)
                return try input.compressStream(with: compressor, flush: .sync)
            }
            finished = true
            var empty = ByteBuffer()
            return try empty.compressStream(with: compressor, flush: .finish)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: lines(), compressor: try? ZlibCompressor(algorithm: .gzip))
    }
}
