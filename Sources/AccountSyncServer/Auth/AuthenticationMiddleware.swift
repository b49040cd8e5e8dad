import AccountSyncApp
import HTTPTypes
import Hummingbird

/// Finds who is asking: a bearer token (`Authorization: Bearer ast_…`) or a console session
/// cookie. It only identifies; `Access.require` decides per route. A state change made with a
/// session must carry the session's CSRF token (`X-CSRF-Token` or the form's `csrf` field).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let app: AccountSync
    static let sessionCookie = "account_sync_session"

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("bearer "),
                let principal = try useCase({ () throws(AppError) in try app.principal(forToken: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) })
            else { throw APIError.unauthorized() }
            context.principal = principal
        } else if let id = request.cookies[Self.sessionCookie]?.value,
            let session = try useCase({ () throws(AppError) in try app.session(id: id) })
        {
            context.principal = .admin(session.admin)
            context.sessionCSRFToken = session.csrfToken
        }
        return try await next(request, context)
    }
}

/// What a route needs from the principal.
enum Access {
    case read
    case startRuns
    case pushDatasets
    case administer
    /// Ending one's own session: anyone signed in, with the CSRF token when by session.
    case signOut

    /// Throws 401 without a principal, 403 when its scope does not allow this.
    static func require(_ access: Access, _ context: ServerContext, request: Request) throws(APIError) -> Principal {
        guard let principal = context.principal else { throw APIError.unauthorized() }
        if case .token(_, let scope) = principal {
            let allowed: Bool = switch (scope, access) {
            case (.admin, _), (_, .signOut): true
            case (.read, .read): true
            case (.push, .startRuns), (.push, .pushDatasets): true
            default: false
            }
            guard allowed else {
                let what: String = switch access {
                case .read: "read"
                case .startRuns: "start runs"
                case .pushDatasets: "push datasets"
                case .administer: "change accounts or settings"
                case .signOut: "sign out"
                }
                throw APIError.forbidden("\(what) (its scope is \(scope.rawValue))")
            }
        }
        if access != .read, let expected = context.sessionCSRFToken {
            guard request.headers[.init("X-CSRF-Token")!] == expected else {
                throw APIError(.forbidden, code: "CSRF", "this change needs the session's CSRF token (the X-CSRF-Token header); reload the page and try again")
            }
        }
        return principal
    }
}
