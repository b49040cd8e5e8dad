import AccountSyncApp
import Foundation
import Hummingbird
import SyncCore
import SyncStore

/// Users (search, one, edit, change history), groups, datasets and resources.
struct AccountsController {
    let app: AccountSync

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.get("users", use: users)
        group.get("users/:account", use: user)
        group.patch("users/:account", use: editUser)
        group.get("users/:account/history", use: userHistory)
        group.get("groups", use: groups)
        group.get("datasets", use: datasets)
        group.get("datasets/:name", use: dataset)
        group.delete("datasets/:name", use: deleteDataset)
        group.get("resources", use: resources)
    }

    /// The body of `PATCH /api/v1/users/{account}`: the fields to change (others stay).
    struct UserEditRequest: Decodable {
        var name: String?
        var email: String?
        var mobile: String?
        var accountType: String?
        var disabled: Bool?
    }

    @Sendable func users(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        let query = Query(request: request)
        let page = try query.int("page", default: 1, range: 1...1_000_000)
        let perPage = try query.int("perPage", default: 50, range: 1...500)
        let search = query.string("query").map { $0.trimmingCharacters(in: .whitespaces) }
        if let search, search.count > 200 { throw APIError.badParameter("query", "at most 200 characters") }
        if let search, search.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw APIError.badParameter("query", "control characters cannot be searched for")
        }
        let disabled = try query.bool("disabled") ?? false
        return try JSONResponse.make(try useCase { () throws(AppError) in try app.usersPage(query: search, disabledOnly: disabled, page: page, perPage: perPage) })
    }

    @Sendable func user(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        let account = try self.account(context)
        guard let user = try useCase({ () throws(AppError) in try app.user(account: account) }) else { throw APIError.notFound("no user '\(account)'") }
        return try JSONResponse.make(user)
    }

    @Sendable func editUser(request: Request, context: ServerContext) async throws -> Response {
        let principal = try Access.require(.administer, context, request: request)
        let account = try self.account(context)
        let body = try await request.decode(as: UserEditRequest.self, context: context)
        let type = try body.accountType.map { text throws(APIError) in try Query.parse(text, name: "accountType", as: AccountType.self) }
        let edit = UserEdit(name: body.name, email: body.email, mobile: body.mobile, accountType: type, disabled: body.disabled)
        let changes = try useCase { () throws(AppError) in try app.editUser(account: account, edit, actor: principal.actor) }
        return try JSONResponse.make(changes)
    }

    @Sendable func userHistory(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        let account = try self.account(context)
        guard try useCase({ () throws(AppError) in try app.user(account: account) }) != nil else { throw APIError.notFound("no user '\(account)'") }
        return try JSONResponse.make(try useCase { () throws(AppError) in try app.userHistory(account: account) })
    }

    @Sendable func groups(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        return try JSONResponse.make(try useCase { () throws(AppError) in try app.groupViews() })
    }

    @Sendable func datasets(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        return try JSONResponse.make(try useCase { () throws(AppError) in try app.datasets() })
    }

    @Sendable func dataset(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        let name = context.parameters.get("name") ?? ""
        let query = Query(request: request)
        let page = try query.int("page", default: 1, range: 1...1_000_000)
        let perPage = try query.int("perPage", default: 50, range: 1...500)
        guard let found = try useCase({ () throws(AppError) in try app.datasetRows(name: name, page: page, perPage: perPage) }) else {
            throw APIError.notFound("no dataset named '\(name)'")
        }
        struct DatasetPage: Encodable {
            var dataset: DatasetInfo
            var page: Int
            var perPage: Int
            var users: [UserRow]?
            var groups: [GroupRow]?
        }
        return try JSONResponse.make(DatasetPage(
            dataset: found.info, page: page, perPage: perPage,
            users: found.info.kind == .users ? found.users : nil, groups: found.info.kind == .groups ? found.groups : nil))
    }

    @Sendable func deleteDataset(request: Request, context: ServerContext) async throws -> Response {
        let principal = try Access.require(.administer, context, request: request)
        let name = context.parameters.get("name") ?? ""
        try useCase { () throws(AppError) in try app.deleteDataset(name: name, actor: principal.actor) }
        return Response(status: .noContent)
    }

    @Sendable func resources(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        return try JSONResponse.make(try useCase { () throws(AppError) in try app.resources() })
    }

    private func account(_ context: ServerContext) throws(APIError) -> String {
        guard let account = context.parameters.get("account"), !account.isEmpty, account.count <= 256 else {
            throw APIError.badParameter("account", "missing or too long")
        }
        return account
    }
}
