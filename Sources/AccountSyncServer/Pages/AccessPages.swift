import AccountSyncApp
import Foundation
import Hummingbird
import SyncStore

/// Admins and API tokens: list them, add and remove admins, create a token (shown once, then only
/// its hash is kept) and revoke one.
struct AccessPages {
    let app: AccountSync
    let renderer: PageRenderer

    func addRoutes(to router: RouterGroup<ServerContext>) {
        router.get("access", use: show)
        router.post("access/admins", use: addAdmin)
        router.post("access/admins/:name/remove", use: removeAdmin)
        router.post("access/tokens", use: createToken)
        router.post("access/tokens/:name/revoke", use: revokeToken)
    }

    struct AccessView {
        var admins: [AdminRow]
        var tokens: [TokenRow]
        var hasTokens: Bool
        var scopes: [Scope]
        var csrf: String
        var newToken: NewToken?
        var adminForm: AdminForm
        var tokenForm: TokenForm
    }

    struct AdminRow { var name: String; var createdAt: String; var twoStep: Bool; var isYou: Bool; var removeLink: String }
    struct TokenRow { var name: String; var scope: String; var createdBy: String; var createdAt: String; var expiresAt: String; var lastUsedAt: String; var revoked: String?; var revokeLink: String }
    struct Scope { var value: String; var label: String; var selected: Bool }
    struct NewToken { var name: String; var token: String; var scope: String }
    struct AdminForm { var name = ""; var nameError: String?; var passwordError: String? }
    struct TokenForm { var name = ""; var days = ""; var nameError: String?; var daysError: String? }

    static let scopeLabels: [TokenScope: String] = [
        .read: "read — reads runs, users, groups, datasets, settings", .push: "push — a connector agent: pushes datasets and starts runs",
        .admin: "admin — everything an admin can do",
    ]

    @Sendable func show(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let query = page.query
        let notice = query.string("added").map { "Admin '\($0)' added." } ?? query.string("removed").map { "Admin '\($0)' removed." }
            ?? query.string("revoked").map { "Token '\($0)' revoked: it no longer opens anything." }
        return try accessPage(page, session: session, notice: notice)
    }

    private func accessPage(
        _ page: PageRequest, session: PageSession, notice: String? = nil, newToken: NewToken? = nil, adminForm: AdminForm = AdminForm(),
        tokenForm: TokenForm = TokenForm(), scope: TokenScope = .push, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let dates = DateText(page.timeZone)
        let admins = try useCase { () throws(AppError) in try app.admins() }.map {
            AdminRow(name: $0.name, createdAt: dates.text($0.createdAt), twoStep: $0.totpSecret != nil, isYou: $0.name == session.admin, removeLink: "/access/admins/\(pathSegment($0.name))/remove")
        }
        let tokens = try useCase { () throws(AppError) in try app.tokens() }.map {
            TokenRow(
                name: $0.name, scope: $0.scope, createdBy: $0.createdBy, createdAt: dates.text($0.createdAt), expiresAt: $0.expiresAt.map(dates.text) ?? "never",
                lastUsedAt: $0.lastUsedAt.map(dates.text) ?? "never", revoked: $0.revokedAt.map(dates.text), revokeLink: "/access/tokens/\(pathSegment($0.name))/revoke")
        }
        let view = AccessView(
            admins: admins, tokens: tokens, hasTokens: !tokens.isEmpty,
            scopes: [TokenScope.push, .read, .admin].map { Scope(value: $0.rawValue, label: Self.scopeLabels[$0] ?? $0.rawValue, selected: $0 == scope) },
            csrf: session.csrf, newToken: newToken, adminForm: adminForm, tokenForm: tokenForm)
        var frame = page.frame("Admins & tokens", session, section: "access")
        frame.notice = notice
        if status != .ok { frame.error = "Nothing was saved: correct the field marked below." }
        return renderer.page("access", view, frame: frame, status: status)
    }

    @Sendable func addAdmin(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let form = try await page.form(session)
        let name = form.text("name") ?? ""
        let password = form["password"] ?? ""
        var adminForm = AdminForm(name: name)
        if password != form["confirm"] { adminForm.passwordError = "The two passwords differ." }
        if adminForm.passwordError == nil {
            do {
                try app.addAdmin(name: name, password: password)
                return .redirect(to: pageLink("/access", [("added", name)]), type: .normal)
            } catch {
                let message = sentence(error.message)
                if error.message.hasPrefix("the password") { adminForm.passwordError = message } else { adminForm.nameError = message }
            }
        }
        return try accessPage(page, session: session, adminForm: adminForm, status: .badRequest)
    }

    @Sendable func removeAdmin(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        _ = try await page.form(session)
        let name = context.parameters.get("name")?.removingPercentEncoding ?? ""
        guard name != session.admin else {
            throw APIError(.conflict, code: "SELF", "You cannot remove yourself; ask another admin, or use account-sync admins remove on the server.")
        }
        try useCase { () throws(AppError) in try app.removeAdmin(name: name) }
        return .redirect(to: pageLink("/access", [("removed", name)]), type: .normal)
    }

    @Sendable func createToken(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let form = try await page.form(session)
        let name = form.text("name") ?? ""
        let scope = TokenScope(rawValue: form["scope"] ?? "") ?? .push
        var tokenForm = TokenForm(name: name, days: form.text("days") ?? "")
        var days: Int?
        if let text = form.text("days") {
            if let value = Int(text), (1...3650).contains(value) { days = value } else { tokenForm.daysError = "'\(text)' is not a number of days from 1 to 3650 (leave it empty for a token that does not expire)." }
        }
        if tokenForm.daysError == nil {
            let created: String?
            do throws(AppError) {
                created = try app.createToken(name: name, scope: scope, createdBy: session.actor, expiresInDays: days)
            } catch {
                created = nil
                tokenForm.nameError = sentence(error.message)
            }
            if let created { return try accessPage(page, session: session, newToken: NewToken(name: name, token: created, scope: scope.rawValue)) }
        }
        return try accessPage(page, session: session, tokenForm: tokenForm, scope: scope, status: .badRequest)
    }

    @Sendable func revokeToken(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        _ = try await page.form(session)
        let name = context.parameters.get("name")?.removingPercentEncoding ?? ""
        try useCase { () throws(AppError) in try app.revokeToken(name: name) }
        return .redirect(to: pageLink("/access", [("revoked", name)]), type: .normal)
    }
}
