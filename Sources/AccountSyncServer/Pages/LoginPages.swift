import AccountSyncApp
import Foundation
import HTTPTypes
import Hummingbird

/// The sign-in page (name, password and, for admins who turned it on, the authenticator code),
/// sign-out, and `/` (to the Account Sync page). The sign-in form is guarded against forged
/// posts by a token in a cookie of its own, as there is no session yet.
struct LoginPages {
    let signIn: SignIn
    let renderer: PageRenderer
    static let formCookie = "account_sync_login"

    func addRoutes(to router: RouterGroup<ServerContext>) {
        router.get("/", use: home)
        router.get("login", use: show)
        router.post("login", use: submit)
        router.post("logout", use: logout)
    }

    struct LoginView {
        var csrf: String
        var next: String
        var name: String
        var problem: String?
    }

    @Sendable func home(request: Request, context: ServerContext) async throws -> Response {
        _ = try PageRequest(request: request, context: context).session()
        return .redirect(to: "/sync", type: .normal)
    }

    @Sendable func show(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let next = Self.localPath(page.query.string("next"))
        if (try? page.session()) != nil { return .redirect(to: next, type: .normal) }
        let notice = page.query.string("signedOut") == "1" ? "You are signed out." : nil
        return form(page, next: next, name: "", problem: nil, notice: notice, status: .ok)
    }

    @Sendable func submit(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let body = try await request.body.collect(upTo: 64 * 1024)
        let form = FormFields(encoded: String(buffer: body))
        let next = Self.localPath(form["next"])
        guard let token = request.cookies[Self.formCookie]?.value, !token.isEmpty, form["csrf"] == token else {
            return self.form(page, next: next, name: form["name"] ?? "", problem: "The sign-in form had expired. Please sign in again.", notice: nil, status: .forbidden)
        }
        let name = form.text("name") ?? ""
        guard !name.isEmpty, let password = form["password"], !password.isEmpty else {
            return self.form(page, next: next, name: name, problem: "Enter your name and your password.", notice: nil, status: .badRequest)
        }
        do {
            let session = try signIn.attempt(name: name, password: password, totp: form.text("code"), address: context.peerAddress)
            var response = Response.redirect(to: next, type: .normal)
            response.headers.append(HTTPField(name: .setCookie, value: signIn.cookie(for: session)))
            response.headers.append(HTTPField(name: .setCookie, value: "\(Self.formCookie)=; Path=/login; Max-Age=0; HttpOnly; SameSite=Strict"))
            return response
        } catch {
            return self.form(page, next: next, name: name, problem: sentence(error.message), notice: nil, status: error.status)
        }
    }

    @Sendable func logout(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        _ = try await page.form(session)
        var response = Response.redirect(to: "/login?signedOut=1", type: .normal)
        response.headers[.setCookie] = try signIn.end(request)
        return response
    }

    /// The form, with a fresh anti-forgery token in its cookie.
    private func form(_ page: PageRequest, next: String, name: String, problem: String?, notice: String?, status: HTTPResponse.Status) -> Response {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        var frame = page.frame("Sign in", nil, section: "")
        frame.notice = notice
        var response = renderer.page("login", LoginView(csrf: token, next: next, name: name, problem: problem), frame: frame, status: status)
        response.headers[.setCookie] = "\(Self.formCookie)=\(token); Path=/login; Max-Age=3600; HttpOnly; SameSite=Strict" + (signIn.settings.secureCookies ? "; Secure" : "")
        return response
    }

    /// Where to go after signing in: a path on this server only (never another site).
    static func localPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), !text.contains("\\"), !text.hasPrefix("/login") else { return "/sync" }
        return text
    }
}

/// The stylesheet and the script of the pages (public: the sign-in page needs them too; they hold
/// nothing secret).
struct AssetsController {
    static let files: [String: (type: String, data: Data)] = {
        var files: [String: (String, Data)] = [:]
        for (name, type) in [("console.css", "text/css; charset=utf-8"), ("console.js", "text/javascript; charset=utf-8")] {
            let parts = name.split(separator: ".")
            if let url = Bundle.module.url(forResource: String(parts[0]), withExtension: String(parts[1]), subdirectory: "Resources/assets"),
                let data = try? Data(contentsOf: url)
            {
                files[name] = (type, data)
            }
        }
        return files
    }()

    func addRoutes(to router: Router<ServerContext>) {
        router.get("assets/:file", use: file)
    }

    @Sendable func file(request: Request, context: ServerContext) async throws -> Response {
        guard let name = context.parameters.get("file"), let file = Self.files[name] else { throw APIError.notFound("no such asset") }
        var headers = HTTPFields()
        headers[.contentType] = file.type
        headers[.cacheControl] = "public, max-age=3600"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
    }
}
