import AccountSyncApp
import AccountSyncServer
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdOTP
import HummingbirdTesting
import SyncCore
import SyncStore
import Testing

/// The Admin Center's pages through the router: who may open them, the CSRF token on every form,
/// escaping, pinned settings, and errors as pages. (The story in a real browser is
/// Tests/browser/admin_center.py, run by scripts/browser-check.sh.)
@Suite struct PagesTests {
    static let password = "a long enough password"

    /// A signed-in browser: its cookie header and the CSRF token of its session.
    struct Browser: Sendable {
        var cookie: String
        var csrf: String

        var headers: HTTPFields {
            var fields = HTTPFields()
            fields[.cookie] = cookie
            return fields
        }

        func form(_ fields: [(String, String)], csrf: String? = nil) -> (HTTPFields, ByteBuffer) {
            var headers = self.headers
            headers[.contentType] = "application/x-www-form-urlencoded"
            let body = ([("csrf", csrf ?? self.csrf)] + fields).map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
            return (headers, ByteBuffer(string: body))
        }

        static func encode(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
        }
    }

    static func cookie(_ name: String, in response: TestResponse) -> String? {
        for field in response.headers where field.name == .setCookie {
            let value = field.value
            if value.hasPrefix(name + "=") { return String(value.dropFirst(name.count + 1).prefix { $0 != ";" }) }
        }
        return nil
    }

    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
        return String(html[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
    }

    /// Signs in through the login form, as a browser does.
    static func signIn(
        _ client: any TestClientProtocol, name: String = "alice", password: String = PagesTests.password, code: String? = nil
    ) async throws -> Browser {
        let form = try await client.execute(uri: "/login", method: .get)
        let formCookie = try #require(cookie("account_sync_login", in: form))
        let token = try #require(csrf(in: form.text))
        var headers = HTTPFields()
        headers[.cookie] = "account_sync_login=\(formCookie)"
        headers[.contentType] = "application/x-www-form-urlencoded"
        let body = "csrf=\(token)&name=\(name)&password=\(Browser.encode(password))&next=%2Fhistory" + (code.map { "&code=\($0)" } ?? "")
        let signedIn = try await client.execute(uri: "/login", method: .post, headers: headers, body: ByteBuffer(string: body))
        #expect(signedIn.status == .seeOther)
        #expect(signedIn.headers[.location] == "/history")
        let session = try #require(cookie("account_sync_session", in: signedIn))
        var browser = Browser(cookie: "account_sync_session=\(session)", csrf: "")
        let page = try await client.execute(uri: "/history", method: .get, headers: browser.headers)
        browser.csrf = try #require(csrf(in: page.text))
        return browser
    }

    static let pages = [
        "/", "/sync", "/sync/edit", "/sync/history", "/history", "/runs/1", "/runs/1/items/created-users", "/runs/1/progress",
        "/users", "/users/u1", "/groups", "/groups/eng", "/datasets", "/datasets/people", "/access",
    ]
    static let forms = [
        "/runs", "/sync", "/sync/reset", "/users/u1", "/datasets/people/delete", "/access/tokens", "/access/admins",
        "/access/tokens/x/revoke", "/access/admins/bob/remove", "/runs/1/approve", "/logout",
    ]

    @Test func withoutASessionEveryPageAndFormSendsToTheLoginAndDoesNothing() async throws {
        let workspace = try ServerWorkspace(pinned: false)
        try await workspace.test { client in
            for page in Self.pages {
                let response = try await client.execute(uri: page, method: .get)
                #expect(response.status == .seeOther, "\(page)")
                #expect(response.headers[.location]?.hasPrefix("/login?next=") == true, "\(page)")
            }
            for form in Self.forms {
                var headers = HTTPFields()
                headers[.contentType] = "application/x-www-form-urlencoded"
                let response = try await client.execute(uri: form, method: .post, headers: headers, body: ByteBuffer(string: "mode=run&csrf=guess"))
                #expect(response.status == .seeOther, "\(form)")
                #expect(response.headers[.location] == "/login?next=%2F", "\(form)")
            }
        }
        #expect(try workspace.app.history().isEmpty)
        #expect(try workspace.app.datasets().count == 2)
    }

    @Test func anAPITokenDoesNotOpenThePages() async throws {
        let workspace = try ServerWorkspace()
        let token = try workspace.token(.admin)
        try await workspace.test { client in
            let response = try await client.execute(uri: "/history", method: .get, headers: .bearer(token))
            #expect(response.status == .seeOther)
            #expect(response.headers[.location]?.hasPrefix("/login") == true)
        }
    }

    @Test func aFormWithoutTheSessionsTokenIsRefusedAndChangesNothing() async throws {
        let workspace = try ServerWorkspace(pinned: false)
        try workspace.app.addAdmin(name: "alice", password: Self.password)
        try await workspace.test { client in
            let browser = try await Self.signIn(client)
            for (uri, token) in [("/datasets/people/delete", "wrong"), ("/runs", "")] {
                let (headers, body) = browser.form([("mode", "run")], csrf: token)
                let response = try await client.execute(uri: uri, method: .post, headers: headers, body: body)
                #expect(response.status == .forbidden, "\(uri)")
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(response.text.contains("CSRF token does not match your session"))
            }
            // With the token, the same form works.
            let (headers, body) = browser.form([])
            let deleted = try await client.execute(uri: "/datasets/people/delete", method: .post, headers: headers, body: body)
            #expect(deleted.status == .seeOther)
            #expect(deleted.headers[.location] == "/datasets?deleted=people")
        }
        #expect(try workspace.app.history().isEmpty)
        #expect(try workspace.app.datasets().map(\.name) == ["org"])
    }

    @Test func theLoginFormRefusesAForgedPostAndNeverSendsToAnotherSite() async throws {
        let workspace = try ServerWorkspace()
        try workspace.app.addAdmin(name: "alice", password: Self.password)
        try await workspace.test { client in
            var headers = HTTPFields()
            headers[.contentType] = "application/x-www-form-urlencoded"
            headers[.cookie] = "account_sync_login=abc"
            let forged = try await client.execute(
                uri: "/login", method: .post, headers: headers, body: ByteBuffer(string: "csrf=xyz&name=alice&password=\(Browser.encode(Self.password))"))
            #expect(forged.status == .forbidden)
            #expect(Self.cookie("account_sync_session", in: forged) == nil)
            #expect(forged.text.contains("The sign-in form had expired"))
            for next in ["//evil.example/x", "https://evil.example", "/\\evil.example"] {
                let form = try await client.execute(uri: "/login", method: .get)
                let token = try #require(Self.csrf(in: form.text))
                headers[.cookie] = "account_sync_login=\(try #require(Self.cookie("account_sync_login", in: form)))"
                let body = "csrf=\(token)&name=alice&password=\(Browser.encode(Self.password))&next=\(Browser.encode(next))"
                let response = try await client.execute(uri: "/login", method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(response.headers[.location] == "/sync", "\(next)")
            }
        }
    }

    @Test func anAdminWithTwoStepSignInNeedsTheCode() async throws {
        let workspace = try ServerWorkspace()
        try workspace.app.addAdmin(name: "carol", password: Self.password)
        _ = try workspace.app.enableTOTP(name: "carol")
        let queue = try DatabaseQueue(path: workspace.app.config.storePath)
        let secret = try #require(try await queue.read { try String.fetchOne($0, sql: "SELECT totpSecret FROM admins WHERE name = 'carol'") })
        try await workspace.test { client in
            let form = try await client.execute(uri: "/login", method: .get)
            var headers = HTTPFields()
            headers[.cookie] = "account_sync_login=\(try #require(Self.cookie("account_sync_login", in: form)))"
            headers[.contentType] = "application/x-www-form-urlencoded"
            let token = try #require(Self.csrf(in: form.text))
            let withoutCode = try await client.execute(
                uri: "/login", method: .post, headers: headers, body: ByteBuffer(string: "csrf=\(token)&name=carol&password=\(Browser.encode(Self.password))"))
            #expect(withoutCode.status == .unauthorized)
            #expect(withoutCode.text.contains("The name, the password or the code is wrong."))
            #expect(Self.cookie("account_sync_session", in: withoutCode) == nil)
            let browser = try await Self.signIn(client, name: "carol", code: String(format: "%06d", TOTP(secret: secret).compute()))
            #expect(!browser.csrf.isEmpty)
        }
    }

    @Test func valuesFromTheSourceAreEscapedOnEveryPage() async throws {
        let workspace = try ServerWorkspace()
        try workspace.app.addAdmin(name: "alice", password: Self.password)
        let hostile = "<script>alert(1)</script>\"'&"
        let file = workspace.folder.appendingPathComponent("hostile.csv")
        try "account,name,email,groupIds\nu1,\"\(hostile.replacingOccurrences(of: "\"", with: "\"\""))\",u1@example.com,eng\n".write(to: file, atomically: true, encoding: .utf8)
        _ = try workspace.app.importDataset(kind: .users, name: "people", file: file.path)
        _ = try workspace.app.run()
        try await workspace.test { client in
            let browser = try await Self.signIn(client)
            for page in ["/users", "/users/u1", "/datasets/people", "/runs/1", "/groups/eng"] {
                let response = try await client.execute(uri: page, method: .get, headers: browser.headers)
                #expect(response.status == .ok, "\(page)")
                #expect(!response.text.contains("<script>alert"), "\(page)")
                if page != "/runs/1" { #expect(response.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(page)") }
            }
        }
    }

    @Test func settingsPinnedByTheFileAreReadOnly() async throws {
        let workspace = try ServerWorkspace(pinned: true)
        try workspace.app.addAdmin(name: "alice", password: Self.password)
        try await workspace.test { client in
            let browser = try await Self.signIn(client)
            let page = try await client.execute(uri: "/sync", method: .get, headers: browser.headers)
            #expect(page.text.contains("managed in the config file"))
            #expect(!page.text.contains("href=\"/sync/edit\""))
            let (headers, body) = browser.form([("safeguard.maxUserDeletions", "99")])
            let save = try await client.execute(uri: "/sync", method: .post, headers: headers, body: body)
            #expect(save.status == .conflict)
            #expect(save.text.contains("edit them there"))
        }
        #expect(try workspace.app.settingsHistory().isEmpty)
    }

    @Test func aSettingsSaveIsAVersionAndAProblemNamesItsField() async throws {
        let workspace = try ServerWorkspace(pinned: false)
        try workspace.app.addAdmin(name: "alice", password: Self.password)
        try await workspace.test { client in
            let browser = try await Self.signIn(client)
            let base = [("users.dataset", "people"), ("groups.dataset", "org"), ("safeguard.maxGroupDeletions", "5"), ("update", "manual")]
            let (badHeaders, badBody) = browser.form(base + [("safeguard.maxUserDeletions", "-4")])
            let bad = try await client.execute(uri: "/sync", method: .post, headers: badHeaders, body: badBody)
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains(#"id="safeguard-maxUserDeletions-error""#))
            #expect(bad.text.contains(#"value="-4""#))
            let (headers, body) = browser.form(base + [("safeguard.maxUserDeletions", "7")])
            let saved = try await client.execute(uri: "/sync", method: .post, headers: headers, body: body)
            #expect(saved.status == .seeOther)
            #expect(saved.headers[.location] == "/sync?saved=1")
        }
        let active = try #require(try workspace.app.activeSettings())
        #expect(active.settings.policy.safeguard.maxUserDeletions == 7)
        #expect(try workspace.app.settingsHistory().first?.savedBy == "admin:alice")
    }

    @Test func aWindowWithoutALimitIsNamedNotSwallowed() async throws {
        let workspace = try ServerWorkspace(pinned: false)
        try workspace.app.addAdmin(name: "alice", password: Self.password)
        try await workspace.test { client in
            let browser = try await Self.signIn(client)
            let (headers, body) = browser.form([
                ("users.dataset", "people"), ("groups.dataset", "org"), ("update", "manual"), ("safeguard.maxUserDeletions", "7"),
                ("safeguard.maxGroupDeletions", "5"), ("safeguard.window.days", "7"),
            ])
            let refused = try await client.execute(uri: "/sync", method: .post, headers: headers, body: body)
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("gives no limit; add maxUserDeletions and/or maxGroupDeletions"))
        }
        #expect(try workspace.app.settingsHistory().isEmpty)
    }

    @Test func missingThingsAnswerAsPagesNotJSON() async throws {
        let workspace = try ServerWorkspace()
        try workspace.app.addAdmin(name: "alice", password: Self.password)
        try await workspace.test { client in
            let browser = try await Self.signIn(client)
            for (page, words) in [("/runs/999", "There is no run #999"), ("/users/nobody", "There is no user &#39;nobody&#39;"), ("/datasets/none", "There is no dataset named &#39;none&#39;")] {
                let response = try await client.execute(uri: page, method: .get, headers: browser.headers)
                #expect(response.status == .notFound, "\(page)")
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(response.text.contains(words), "\(page)")
            }
        }
    }

    @Test func theAssetsNeedNoSessionAndThePagesNoInlineScript() async throws {
        let workspace = try ServerWorkspace()
        try await workspace.test { client in
            let css = try await client.execute(uri: "/assets/console.css", method: .get)
            #expect(css.status == .ok)
            #expect(css.headers[.contentType]?.hasPrefix("text/css") == true)
            let login = try await client.execute(uri: "/login", method: .get)
            #expect(login.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            #expect(!login.text.contains("<script>"))
            #expect(login.text.contains(#"<script src="/assets/console.js" defer></script>"#))
        }
    }
}
