import AccountSyncApp
import AccountSyncServer
import Foundation
import GRDB
import HummingbirdOTP
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SyncCore
import SyncStore
import Testing
import Yams

/// The HTTP API, driven through its router: authentication on every route of the OpenAPI
/// document, scopes, CSRF, filters and pagination, runs started from the API.
@Suite("The HTTP API")
struct APITests {
    /// Every (method, path) of the OpenAPI document, with example path parameters.
    static func documentedRoutes() throws -> [(method: HTTPRequest.Method, path: String)] {
        let document = try #require(try Yams.load(yaml: OpenAPIDocument.text) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var routes: [(HTTPRequest.Method, String)] = []
        for (path, operations) in paths.sorted(by: { $0.key < $1.key }) {
            let concrete = path.replacingOccurrences(of: "{id}", with: "1").replacingOccurrences(of: "{account}", with: "u1")
                .replacingOccurrences(of: "{name}", with: "people").replacingOccurrences(of: "{kind}", with: "users")
            for method in operations.keys.sorted() {
                routes.append((HTTPRequest.Method(rawValue: method.uppercased())!, concrete))
            }
        }
        return routes
    }

    @Test func everyDocumentedRouteButHealthzAnswers401WithoutCredentials() async throws {
        let workspace = try ServerWorkspace()
        let routes = try Self.documentedRoutes()
        #expect(routes.count >= 14)
        try await workspace.test { client in
            for (method, path) in routes where path != "/healthz" && path != "/api/v1/login" {
                let body = method == .get || method == .delete ? nil : ByteBuffer(string: "{}")
                let response = try await client.execute(uri: path, method: method, headers: [.contentType: "application/json"], body: body)
                #expect(response.status == .unauthorized, "\(method) \(path): \(response.status)")
                #expect(response.object["code"] as? String == "UNAUTHORIZED", "\(method) \(path)")
                #expect(response.headers[.wwwAuthenticate] != nil)
            }
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(health.object["status"] as? String == "ok")
        }
    }

    @Test func aReadTokenIsRefusedEveryChangeAndAPushTokenEveryRead() async throws {
        let workspace = try ServerWorkspace()
        let read = try workspace.token(.read)
        let push = try workspace.token(.push)
        let routes = try Self.documentedRoutes()
        try await workspace.test { client in
            for (method, path) in routes where method != .get && path != "/api/v1/login" && path != "/api/v1/logout" {
                let body = method == .delete ? nil : ByteBuffer(string: "{}")
                let response = try await client.execute(uri: path, method: method, headers: .json(read), body: body)
                #expect(response.status == .forbidden, "\(method) \(path): \(response.status) \(response.text)")
            }
            for (method, path) in routes where method == .get && path != "/healthz" {
                let response = try await client.execute(uri: path, method: method, headers: .bearer(push))
                #expect(response.status == .forbidden, "push \(method) \(path): \(response.status)")
            }
            let users = try await client.execute(uri: "/api/v1/users", method: .get, headers: .bearer(read))
            #expect(users.status == .ok)
        }
    }

    @Test func revokedExpiredAndUnknownTokensAreRefused() async throws {
        let workspace = try ServerWorkspace()
        let revoked = try workspace.token(.admin, name: "old")
        try workspace.app.revokeToken(name: "old")
        let expired = try workspace.token(.admin, name: "expired")
        let queue = try DatabaseQueue(path: workspace.app.config.storePath)
        try await queue.write { try $0.execute(sql: "UPDATE api_tokens SET expiresAt = ? WHERE name = 'expired'", arguments: [Date(timeIntervalSinceNow: -60)]) }
        try await workspace.test { client in
            for token in [revoked, expired, "ast_nottherealtoken", "garbage"] {
                let response = try await client.execute(uri: "/api/v1/runs", method: .get, headers: .bearer(token))
                #expect(response.status == .unauthorized, "\(token)")
            }
        }
    }

    @Test func runsAreFilteredAndPaged() async throws {
        let workspace = try ServerWorkspace()
        for _ in 0..<5 { _ = try workspace.app.run() }
        let read = try workspace.token(.read)
        try await workspace.test { client in
            let page = try await client.execute(uri: "/api/v1/runs?perPage=2&page=2", method: .get, headers: .bearer(read))
            #expect(page.status == .ok)
            let items = try #require(page.object["items"] as? [[String: Any]])
            #expect(items.compactMap { $0["id"] as? Int } == [3, 2])
            #expect(page.object["total"] as? Int == 5)
            let success = try await client.execute(uri: "/api/v1/runs?status=success&status=failed", method: .get, headers: .bearer(read))
            #expect(success.object["total"] as? Int == 5)
            let none = try await client.execute(uri: "/api/v1/runs?status=partially_failed", method: .get, headers: .bearer(read))
            #expect(none.object["total"] as? Int == 0)
            let future = try await client.execute(uri: "/api/v1/runs?from=2999-01-01", method: .get, headers: .bearer(read))
            #expect(future.object["total"] as? Int == 0)
            for (query, name) in [("perPage=0", "perPage"), ("page=x", "page"), ("status=done", "status"), ("from=yesterday", "from")] {
                let bad = try await client.execute(uri: "/api/v1/runs?\(query)", method: .get, headers: .bearer(read))
                #expect(bad.status == .badRequest, "\(query)")
                #expect((bad.object["message"] as? String)?.hasPrefix("\(name):") == true, "\(query): \(bad.text)")
            }
        }
    }

    @Test func aRunStartedThroughTheAPIIsRecordedWithWhoStartedItAndReadsAsTheCLIPrintsIt() async throws {
        let workspace = try ServerWorkspace(users: 50)
        let push = try workspace.token(.push, name: "hq-dc1")
        let read = try workspace.token(.read)
        try await workspace.test { client in
            let dry = try await client.execute(uri: "/api/v1/runs", method: .post, headers: .json(push), body: ByteBuffer(string: #"{"dryRun": true}"#))
            #expect(dry.status == .forbidden)  // a push token may not read a plan
            let dryRead = try await client.execute(uri: "/api/v1/runs", method: .post, headers: .json(read), body: ByteBuffer(string: #"{"dryRun": true}"#))
            #expect(dryRead.status == .ok)
            #expect(dryRead.object["dryRun"] as? Bool == true)
            #expect((dryRead.object["counts"] as? [String: Int])?["usersCreated"] == 50)
            #expect(try workspace.app.usersPage(query: nil, disabledOnly: false, page: 1, perPage: 10).total == 0)

            let started = try await client.execute(uri: "/api/v1/runs", method: .post, headers: .json(push), body: ByteBuffer(string: "{}"))
            #expect(started.status == .accepted, "\(started.text)")
            let id = try #require(started.object["id"] as? Int)
            var phase = ""
            var steps: (done: Int?, total: Int?) = (nil, nil)
            for _ in 0..<100 {
                let progress = try await client.execute(uri: "/api/v1/runs/\(id)/progress", method: .get, headers: .bearer(read))
                phase = progress.object["phase"] as? String ?? ""
                steps = (progress.object["done"] as? Int, progress.object["total"] as? Int)
                if phase == "finished" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(phase == "finished")
            #expect(steps.done == 50 && steps.total == 50)  // the 50 rows, planned and written
            let shown = try await client.execute(uri: "/api/v1/runs/\(id)", method: .get, headers: .bearer(read))
            #expect(shown.object["trigger"] as? String == "agent")
            #expect(shown.object["startedBy"] as? String == "token:hq-dc1")
            #expect((shown.object["counts"] as? [String: Int])?["usersCreated"] == 50)
            // The same bytes as `history show ID --json`.
            let record = try #require(try workspace.app.runDetail(id: Int64(id)))
            #expect(Array(buffer: shown.body) == Array(try JSONDocument.encode(record)))
            // The items behind a count, a page at a time.
            let created = try await client.execute(uri: "/api/v1/runs/\(id)/items?kind=user&action=create&code=none&perPage=20&page=3", method: .get, headers: .bearer(read))
            #expect(created.object["total"] as? Int == 50)
            #expect((created.object["items"] as? [[String: Any]])?.count == 10)
            let failures = try await client.execute(uri: "/api/v1/runs/\(id)/items?code=any", method: .get, headers: .bearer(read))
            #expect(failures.object["total"] as? Int == 0)
            let badCode = try await client.execute(uri: "/api/v1/runs/\(id)/items?code=OOPS", method: .get, headers: .bearer(read))
            #expect(badCode.status == .badRequest)
            let missing = try await client.execute(uri: "/api/v1/runs/999", method: .get, headers: .bearer(read))
            #expect(missing.status == .notFound)
        }
    }

    @Test func usersAreSearchedPagedAndEditedWithTheAuditTrail() async throws {
        let workspace = try ServerWorkspace(users: 30)
        _ = try workspace.app.run()
        let read = try workspace.token(.read)
        let admin = try workspace.token(.admin, name: "ops")
        try await workspace.test { client in
            let page = try await client.execute(uri: "/api/v1/users?perPage=10&page=3", method: .get, headers: .bearer(read))
            #expect(page.object["total"] as? Int == 30)
            #expect((page.object["items"] as? [[String: Any]])?.count == 10)
            let search = try await client.execute(uri: "/api/v1/users?query=u2", method: .get, headers: .bearer(read))
            #expect(search.object["total"] as? Int == 11)  // u2, u20…u29
            let byEmail = try await client.execute(uri: "/api/v1/users?query=U7%40EXAMPLE", method: .get, headers: .bearer(read))
            #expect(byEmail.object["total"] as? Int == 1)
            let control = try await client.execute(uri: "/api/v1/users?query=ab%00cd", method: .get, headers: .bearer(read))
            #expect(control.status == .badRequest)  // found by schemathesis: a NUL reached the search index
            let wildcard = try await client.execute(uri: "/api/v1/users?query=%25", method: .get, headers: .bearer(read))
            #expect(wildcard.object["total"] as? Int == 0)

            let edit = try await client.execute(
                uri: "/api/v1/users/u5", method: .patch, headers: .json(admin), body: ByteBuffer(string: #"{"mobile": "+44 7700 900005", "disabled": true}"#))
            #expect(edit.status == .ok, "\(edit.text)")
            // The search index follows the edit (it is rebuilt at the first search after a change).
            let byMobile = try await client.execute(uri: "/api/v1/users?query=900005", method: .get, headers: .bearer(read))
            #expect(byMobile.object["total"] as? Int == 1)
            let history = try await client.execute(uri: "/api/v1/users/u5/history", method: .get, headers: .bearer(read))
            let changes = try #require(history.json as? [[String: Any]])
            #expect(changes.contains { $0["field"] as? String == "mobile" && $0["actor"] as? String == "token:ops" })
            let disabled = try await client.execute(uri: "/api/v1/users?disabled=true", method: .get, headers: .bearer(read))
            #expect(disabled.object["total"] as? Int == 1)
            let badType = try await client.execute(uri: "/api/v1/users/u5", method: .patch, headers: .json(admin), body: ByteBuffer(string: #"{"accountType": "Root"}"#))
            #expect(badType.status == .badRequest)
            #expect((badType.object["message"] as? String)?.hasPrefix("accountType:") == true)
        }
    }

    @Test func aSessionsChangesNeedItsCSRFToken() async throws {
        let workspace = try ServerWorkspace()
        _ = try workspace.app.run()
        try workspace.app.addAdmin(name: "alice", password: "correct horse battery")
        let session = try #require(try workspace.app.login(name: "alice", password: "correct horse battery", totpCode: nil))
        #expect(try workspace.app.login(name: "alice", password: "wrong password!!", totpCode: nil) == nil)
        try await workspace.test { client in
            var headers = HTTPFields()
            headers[.cookie] = "account_sync_session=\(session.id)"
            headers[.contentType] = "application/json"
            let read = try await client.execute(uri: "/api/v1/users", method: .get, headers: headers)
            #expect(read.status == .ok)
            let forged = try await client.execute(uri: "/api/v1/users/u1", method: .patch, headers: headers, body: ByteBuffer(string: #"{"name": "X"}"#))
            #expect(forged.status == .forbidden)
            #expect(forged.object["code"] as? String == "CSRF")
            headers[.init("X-CSRF-Token")!] = session.csrfToken
            let allowed = try await client.execute(uri: "/api/v1/users/u1", method: .patch, headers: headers, body: ByteBuffer(string: #"{"name": "X"}"#))
            #expect(allowed.status == .ok)
            try workspace.app.logout(sessionId: session.id)
            let after = try await client.execute(uri: "/api/v1/users", method: .get, headers: headers)
            #expect(after.status == .unauthorized)
        }
    }

    @Test func everyResponseCarriesTheSecurityHeadersAndMetricsCountRequests() async throws {
        let workspace = try ServerWorkspace()
        _ = try workspace.app.run()
        let read = try workspace.token(.read)
        try await workspace.test { client in
            for uri in ["/healthz", "/api/v1/runs"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true, "\(uri)")
                #expect(response.headers[.init("X-Frame-Options")!] == "DENY")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.init("Referrer-Policy")!] != nil)
            }
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: .bearer(read))
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("account_sync_last_run_status 0"))
            #expect(metrics.text.contains("account_sync_http_requests_total{"))
        }
    }

    @Test func settingsAreSavedAsVersionsThatTheNextRunRecords() async throws {
        let workspace = try ServerWorkspace(pinned: false)
        let admin = try workspace.token(.admin, name: "ops")
        let read = try workspace.token(.read)
        try await workspace.test { client in
            let bad = try await client.execute(
                uri: "/api/v1/settings", method: .put, headers: .json(admin),
                body: ByteBuffer(string: #"{"users": {"dataset": "people"}, "safeguard": {"maxUserDeletionPercent": 150}}"#))
            #expect(bad.status == .badRequest)
            #expect((bad.object["message"] as? String)?.contains("sync.safeguard.maxUserDeletionPercent: '150' is not a percentage") == true, "\(bad.text)")
            let readOnly = try await client.execute(uri: "/api/v1/settings", method: .put, headers: .json(read), body: ByteBuffer(string: "{}"))
            #expect(readOnly.status == .forbidden)
            let saved = try await client.execute(
                uri: "/api/v1/settings", method: .put, headers: .json(admin),
                body: ByteBuffer(string: #"{"users": {"dataset": "people"}, "groups": {"dataset": "org"}, "safeguard": {"protect": {"administrators": false}}}"#))
            #expect(saved.status == .ok, "\(saved.text)")
            let version = try #require(saved.object["version"] as? Int)
            let shown = try await client.execute(uri: "/api/v1/settings", method: .get, headers: .bearer(read))
            #expect(shown.object["pinnedByFile"] as? Bool == false && shown.object["version"] as? Int == version)
            let history = try await client.execute(uri: "/api/v1/settings/history", method: .get, headers: .bearer(read))
            #expect((history.json as? [[String: Any]])?.first?["savedBy"] as? String == "token:ops")
        }
        let run = try workspace.app.run()
        #expect(run.settingsVersion == 1 && run.status == .success)
    }

    @Test func pinnedSettingsAreReadOnlyThroughTheAPI() async throws {
        let workspace = try ServerWorkspace()
        let admin = try workspace.token(.admin)
        try await workspace.test { client in
            let refused = try await client.execute(uri: "/api/v1/settings", method: .put, headers: .json(admin), body: ByteBuffer(string: #"{"users": {"dataset": "x"}}"#))
            #expect(refused.status == .conflict)
            #expect(refused.object["code"] as? String == "SETTINGS_PINNED")
        }
    }

    @Test func signInSetsAStrictCookieAndFailedAttemptsAreLimited() async throws {
        let workspace = try ServerWorkspace()
        try workspace.app.addAdmin(name: "alice", password: "correct horse battery")
        try await workspace.test { client in
            let json: HTTPFields = [.contentType: "application/json"]
            for attempt in 1...5 {
                let wrong = try await client.execute(uri: "/api/v1/login", method: .post, headers: json, body: ByteBuffer(string: #"{"name":"alice","password":"wrong guess \#(attempt)"}"#))
                #expect(wrong.status == .unauthorized)
            }
            let limited = try await client.execute(uri: "/api/v1/login", method: .post, headers: json, body: ByteBuffer(string: #"{"name":"alice","password":"correct horse battery"}"#))
            #expect(limited.status == .tooManyRequests)
            #expect(limited.object["code"] as? String == "TOO_MANY_ATTEMPTS")
        }
        try workspace.app.addAdmin(name: "bob", password: "another good password")
        try await workspace.test { client in
            let json: HTTPFields = [.contentType: "application/json"]
            let signedIn = try await client.execute(uri: "/api/v1/login", method: .post, headers: json, body: ByteBuffer(string: #"{"name":"bob","password":"another good password"}"#))
            #expect(signedIn.status == .ok)
            let cookie = try #require(signedIn.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age="))
            let id = try #require(cookie.split(separator: ";").first?.split(separator: "=").last.map(String.init))
            let csrf = try #require(signedIn.object["csrfToken"] as? String)
            var session = HTTPFields()
            session[.cookie] = "account_sync_session=\(id)"
            #expect(try await client.execute(uri: "/api/v1/runs", method: .get, headers: session).status == .ok)
            let noToken = try await client.execute(uri: "/api/v1/logout", method: .post, headers: session)
            #expect(noToken.status == .forbidden)  // a change (ending the session) needs the CSRF token too
            session[.init("X-CSRF-Token")!] = csrf
            #expect(try await client.execute(uri: "/api/v1/logout", method: .post, headers: session).status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/runs", method: .get, headers: session).status == .unauthorized)
        }
    }

    @Test func aSecondFactorIsAskedForOnceTurnedOn() throws {
        let workspace = try ServerWorkspace()
        try workspace.app.addAdmin(name: "carol", password: "a long enough password")
        let uri = try workspace.app.enableTOTP(name: "carol")
        #expect(uri.hasPrefix("otpauth://totp/"))
        // The URI carries the secret base32-encoded, for authenticator apps; the store has it plain.
        let queue = try DatabaseQueue(path: workspace.app.config.storePath)
        let secret = try #require(try queue.read { try String.fetchOne($0, sql: "SELECT totpSecret FROM admins WHERE name = 'carol'") })
        #expect(try workspace.app.requiresTOTP(name: "carol"))
        #expect(try workspace.app.login(name: "carol", password: "a long enough password", totpCode: nil) == nil)
        let code = String(format: "%06d", TOTP(secret: secret).compute())
        #expect(try workspace.app.login(name: "carol", password: "a long enough password", totpCode: code) != nil)
    }
}
