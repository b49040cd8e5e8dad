import AccountSyncApp
import AccountSyncConfig
import AccountSyncServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SyncCore

/// A temporary store with a small organisation, an application over it, and the router of the
/// service, driven without a socket.
final class ServerWorkspace: @unchecked Sendable {
    let folder: URL
    let app: AccountSync

    init(users: Int = 3, pinned: Bool = true) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("account-sync-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var policy = SyncPolicy()
        policy.safeguard.protection.administrators = false
        var config = Configuration(
            file: folder.appendingPathComponent("config.yaml").path, storePath: folder.appendingPathComponent("store.sqlite").path,
            usersDataset: "people", groupsDataset: "org", policy: policy)
        config.syncPinned = pinned
        app = AccountSync(config: config, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try importDatasets(users: users)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// users u1…uN in group eng, with emails.
    func importDatasets(users: Int) throws {
        let org = folder.appendingPathComponent("org.csv")
        try "groupId,name,parentGroupId\nacme,Acme,\neng,Engineering,acme\n".write(to: org, atomically: true, encoding: .utf8)
        _ = try app.importDataset(kind: .groups, name: "org", file: org.path)
        var csv = "account,name,email,groupIds\n"
        for index in 1...max(1, users) { csv += "u\(index),User \(index),u\(index)@example.com,eng\n" }
        let people = folder.appendingPathComponent("people-\(UUID().uuidString).csv")
        try csv.write(to: people, atomically: true, encoding: .utf8)
        _ = try app.importDataset(kind: .users, name: "people", file: people.path)
    }

    func token(_ scope: TokenScope, name: String? = nil) throws -> String {
        try app.createToken(name: name ?? "t-\(scope.rawValue)-\(UUID().uuidString.prefix(6))", scope: scope, createdBy: "test")
    }

    /// Runs `body` against the router (no socket).
    func test<Value: Sendable>(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let router = buildRouter(app: app, settings: ServerSettings())
        return try await Application(router: router).test(.router) { client in try await body(client) }
    }
}

extension HTTPFields {
    static func bearer(_ token: String) -> HTTPFields {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(token)"
        return fields
    }

    static func json(_ token: String) -> HTTPFields {
        var fields = bearer(token)
        fields[.contentType] = "application/json"
        return fields
    }
}

extension TestResponse {
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(buffer: body)) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var text: String { String(buffer: body) }
}
