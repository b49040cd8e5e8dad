import AccountSyncApp
import Foundation
import Hummingbird
import SyncCore
import SyncStore

/// Users (search, All / Disabled, pages), a user's page with their groups, status and why, the
/// edit form (the rules and audit trail of `users edit`) and their change history; user groups as
/// a tree, each with its members.
struct UserPages {
    let app: AccountSync
    let renderer: PageRenderer
    static let perPage = 50

    func addRoutes(to router: RouterGroup<ServerContext>) {
        router.get("users", use: users)
        router.get("users/:account", use: user)
        router.post("users/:account", use: edit)
        router.get("groups", use: groups)
        router.get("groups/:id", use: group)
    }

    // MARK: Users

    struct UsersView {
        var query: String
        var disabledTab: Bool
        var allLink: String
        var disabledLink: String
        var rows: [UserRowView]
        var hasRows: Bool
        var pager: Pager
        var heading: String
    }

    struct UserRowView {
        var account: String
        var link: String
        var name: String
        var email: String
        var mobile: String
        var accountType: String
        var status: String
        var enabled: Bool
        var groups: String
    }

    static func row(_ user: UserView) -> UserRowView {
        UserRowView(
            account: user.account, link: HistoryPages.userLink(user.account), name: user.name, email: user.email, mobile: user.mobile,
            accountType: user.accountType, status: user.status, enabled: user.status == "enabled", groups: user.groupIds.joined(separator: ", "))
    }

    @Sendable func users(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let query = page.query
        let search = String((query.string("query") ?? "").trimmingCharacters(in: .whitespaces).unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(200))
        let disabled = query.string("tab") == "disabled"
        let number = try query.int("page", default: 1, range: 1...1_000_000)
        let found = try useCase { () throws(AppError) in
            try app.usersPage(query: search.isEmpty ? nil : search, disabledOnly: disabled, page: number, perPage: Self.perPage)
        }
        let tab = disabled ? "disabled" : nil
        let view = UsersView(
            query: search, disabledTab: disabled,
            allLink: pageLink("/users", [("query", search)]), disabledLink: pageLink("/users", [("tab", "disabled"), ("query", search)]),
            rows: found.items.map(Self.row), hasRows: !found.items.isEmpty,
            pager: Pager(page: number, perPage: Self.perPage, total: found.total) { pageLink("/users", [("tab", tab), ("query", search), ("page", String($0))]) },
            heading: disabled ? "Disabled users" : "Users")
        return renderer.page("users", view, frame: page.frame(view.heading, session, section: "users"))
    }

    // MARK: One user

    struct UserPageView {
        var user: UserView
        var enabled: Bool
        var thirdParty: [Pair]
        var groups: [GroupLink]
        var types: [Choice]
        var form: EditForm
        var history: [ChangeRow]
        var csrf: String
        var editLink: String
        var hasThirdParty: Bool
        var hasHistory: Bool
        var hasGroups: Bool
    }

    struct Pair { var key: String; var value: String }
    struct GroupLink { var id: String; var link: String }
    struct Choice { var value: String; var selected: Bool }
    struct EditForm { var name: String; var email: String; var mobile: String; var disabled: Bool; var errors: FieldErrors }
    struct FieldErrors { var name: String?; var email: String?; var mobile: String?; var accountType: String?; var general: String? }
    struct ChangeRow { var when: String; var actor: String; var runLink: String?; var field: String; var old: String; var new: String }

    @Sendable func user(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let account = try Self.account(context)
        let notice = page.query.string("saved") == "1" ? "Saved. The change is in the history below." : page.query.string("saved") == "0" ? "Nothing changed." : nil
        return try userPage(account, page: page, session: session, form: nil, notice: notice)
    }

    private func userPage(_ account: String, page: PageRequest, session: PageSession, form: EditForm?, notice: String?) throws -> Response {
        guard let user = try useCase({ () throws(AppError) in try app.user(account: account) }) else {
            throw APIError.notFound("There is no user '\(account)'. Search for them under Users.")
        }
        let dates = DateText(page.timeZone)
        let history = try useCase { () throws(AppError) in try app.userHistory(account: user.account) }.reversed().map { change in
            ChangeRow(
                when: dates.text(change.at), actor: change.runId.map { "run #\($0)" } ?? change.actor, runLink: change.runId.map { "/runs/\($0)" },
                field: change.field, old: change.old, new: change.new)
        }
        let form = form ?? EditForm(name: user.name, email: user.email, mobile: user.mobile, disabled: user.status != "enabled", errors: FieldErrors())
        let view = UserPageView(
            user: user, enabled: user.status == "enabled", thirdParty: user.thirdParty.sorted { $0.key < $1.key }.map { Pair(key: $0.key, value: $0.value) },
            groups: user.groupIds.map { GroupLink(id: $0, link: Self.groupLink($0)) },
            types: AccountType.allCases.map { Choice(value: $0.rawValue, selected: $0.rawValue == user.accountType) },
            form: form, history: Array(history), csrf: session.csrf, editLink: HistoryPages.userLink(user.account),
            hasThirdParty: !user.thirdParty.isEmpty, hasHistory: !history.isEmpty, hasGroups: !user.groupIds.isEmpty)
        var frame = page.frame(user.name.isEmpty ? user.account : "\(user.name) (\(user.account))", session, section: "users")
        frame.notice = notice
        let failed = form.errors.name != nil || form.errors.email != nil || form.errors.mobile != nil || form.errors.accountType != nil || form.errors.general != nil
        if failed { frame.error = "The user was not saved: correct the fields marked below." }
        return renderer.page("user", view, frame: frame, status: failed ? .badRequest : .ok)
    }

    @Sendable func edit(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let fields = try await page.form(session)
        let account = try Self.account(context)
        var errors = FieldErrors()
        let name = fields["name"]?.trimmingCharacters(in: .whitespaces) ?? ""
        let email = fields["email"]?.trimmingCharacters(in: .whitespaces) ?? ""
        let mobile = fields["mobile"]?.trimmingCharacters(in: .whitespaces) ?? ""
        if name.isEmpty { errors.name = "Enter a name." }
        if !email.isEmpty, !email.contains("@") || email.contains(" ") { errors.email = "'\(email)' is not an email address." }
        if mobile.contains(where: { !($0.isNumber || " +-()".contains($0)) }) { errors.mobile = "A mobile number has digits, spaces, +, -, ( and ) only." }
        let type = AccountType(rawValue: fields["accountType"] ?? "")
        if type == nil { errors.accountType = "Choose one of \(AccountType.allSpellings)." }
        let form = EditForm(name: name, email: email, mobile: mobile, disabled: fields["disabled"] == "on", errors: errors)
        guard errors.name == nil, errors.email == nil, errors.mobile == nil, errors.accountType == nil else {
            return try userPage(account, page: page, session: session, form: form, notice: nil)
        }
        let edit = UserEdit(name: name, email: email, mobile: mobile, accountType: type, disabled: form.disabled)
        do {
            let changes = try app.editUser(account: account, edit, actor: session.actor)
            return .redirect(to: HistoryPages.userLink(account) + "?saved=" + (changes.isEmpty ? "0" : "1"), type: .normal)
        } catch {
            if error.status == .notFound { throw APIError(error) }
            var errors = form.errors
            let message = sentence(error.message)
            if error.message.hasPrefix("email") { errors.email = message } else if error.message.hasPrefix("mobile") { errors.mobile = message } else { errors.general = message }
            var failed = form
            failed.errors = errors
            return try userPage(account, page: page, session: session, form: failed, notice: nil)
        }
    }

    static func account(_ context: ServerContext) throws(APIError) -> String {
        guard let account = context.parameters.get("account")?.removingPercentEncoding, !account.isEmpty, account.count <= 256 else {
            throw APIError.notFound("That is not an account.")
        }
        return account
    }

    static func groupLink(_ id: String) -> String {
        "/groups/" + pathSegment(id)
    }

    // MARK: Groups

    /// The tree as rows in depth-first order, each with the markup that opens or closes the nested
    /// lists after it (`<ul class="tree">` before its children, `</ul></li>` after the last one):
    /// one flat loop of dictionaries renders a thousand groups in a few milliseconds, where a
    /// recursive partial over reflected structs took a hundred.
    struct GroupsView { var rows: [[String: Any]]; var count: Int; var hasGroups: Bool }

    static func treeRows(_ groups: [GroupView]) -> [[String: Any]] {
        let ids = Set(groups.map(\.groupId))
        var children: [String: [GroupView]] = [:]
        var roots: [GroupView] = []
        for group in groups.sorted(by: { $0.name.localizedCaseInsensitiveCompare($1.name) == .orderedAscending }) {
            if ids.contains(group.parentGroupId), group.parentGroupId != group.groupId { children[group.parentGroupId, default: []].append(group) } else { roots.append(group) }
        }
        var rows: [[String: Any]] = []
        func add(_ group: GroupView) {
            let below = children[group.groupId] ?? []
            rows.append([
                "link": groupLink(group.groupId), "name": group.name, "members": group.members, "managed": group.managed,
                "after": below.isEmpty ? "</li>" : "<ul class=\"tree\">",
            ])
            guard !below.isEmpty else { return }
            below.forEach(add)
            rows[rows.count - 1]["after"] = (rows[rows.count - 1]["after"] as? String ?? "") + "</ul></li>"
        }
        roots.forEach(add)
        return rows
    }

    @Sendable func groups(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let groups = try useCase { () throws(AppError) in try app.groupViews() }
        let view = GroupsView(rows: Self.treeRows(groups), count: groups.count, hasGroups: !groups.isEmpty)
        return renderer.page("groups", view, frame: page.frame("User Groups", session, section: "groups"))
    }

    struct GroupPageView {
        var group: GroupView
        var parentLink: String?
        var thirdParty: [Pair]
        var rows: [UserRowView]
        var hasRows: Bool
        var pager: Pager
    }

    @Sendable func group(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let id = context.parameters.get("id")?.removingPercentEncoding ?? ""
        guard let (group, parentExists) = try useCase({ () throws(AppError) in try app.groupView(id: id) }) else {
            throw APIError.notFound("There is no user group '\(id)'.")
        }
        let number = try page.query.int("page", default: 1, range: 1...1_000_000)
        let members = try useCase { () throws(AppError) in try app.usersPage(query: nil, disabledOnly: false, memberOf: id, page: number, perPage: Self.perPage) }
        let view = GroupPageView(
            group: group, parentLink: parentExists ? Self.groupLink(group.parentGroupId) : nil,
            thirdParty: group.thirdParty.sorted { $0.key < $1.key }.map { Pair(key: $0.key, value: $0.value) },
            rows: members.items.map(Self.row), hasRows: !members.items.isEmpty,
            pager: Pager(page: number, perPage: Self.perPage, total: members.total) { "\(Self.groupLink(id))?page=\($0)" })
        return renderer.page("group", view, frame: page.frame(group.name, session, section: "groups"))
    }
}
