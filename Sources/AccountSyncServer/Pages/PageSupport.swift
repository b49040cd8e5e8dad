import AccountSyncApp
import Foundation
import HTTPTypes
import Hummingbird

/// The admin signed in to the Admin Center for this request: their name and the CSRF token every
/// form of their session carries.
struct PageSession: Sendable {
    var admin: String
    var csrf: String
    var actor: String { "admin:\(admin)" }
}

/// Sends the browser elsewhere with 303 See Other: to the login page when nobody is signed in,
/// to the page that shows the result after a form.
struct Redirect: Error {
    var location: String
}

/// The fields of a submitted form (`application/x-www-form-urlencoded`), by name; a name may
/// repeat (check boxes).
struct FormFields: Sendable {
    private var pairs: [(String, String)] = []

    init(encoded text: String) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            pairs.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
        }
    }

    init(_ pairs: [(String, String)]) {
        self.pairs = pairs
    }

    subscript(name: String) -> String? {
        pairs.first { $0.0 == name }?.1
    }

    /// The value trimmed of spaces; nil when absent or blank.
    func text(_ name: String) -> String? {
        let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines)
        return value?.isEmpty == false ? value : nil
    }

    func all(_ name: String) -> [String] {
        pairs.filter { $0.0 == name }.map(\.1)
    }
}

/// What a page handler needs from its request: the signed-in admin (or a redirect to the login),
/// the submitted form with its CSRF token checked, and dates in the admin's time zone.
struct PageRequest {
    let request: Request
    let context: ServerContext

    /// The cookie the console's script sets to the browser's time zone (`Europe/Berlin`).
    static let timeZoneCookie = "account_sync_tz"

    /// The signed-in admin; without a console session, a redirect to the login page that comes
    /// back here afterwards.
    func session() throws(Redirect) -> PageSession {
        guard case .admin(let name)? = context.principal, let csrf = context.sessionCSRFToken else {
            let here = request.method == .get ? request.uri.description : "/"
            throw Redirect(location: "/login?next=" + (here.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
        }
        return PageSession(admin: name, csrf: csrf)
    }

    /// The form of a POST, after checking it carries the session's CSRF token (403 otherwise).
    func form(_ session: PageSession, maxBytes: Int = 1024 * 1024) async throws -> FormFields {
        let body = try await request.body.collect(upTo: maxBytes)
        let form = FormFields(encoded: String(buffer: body))
        guard let token = form["csrf"], token == session.csrf else { throw Self.csrfRefused }
        return form
    }

    static let csrfRefused = APIError(.forbidden, code: "CSRF", "this form is out of date or did not come from the Admin Center (its CSRF token does not match your session); go back, reload the page and try again")

    /// The admin's time zone: the browser's (from the cookie), else the server's.
    var timeZone: TimeZone {
        if let name = request.cookies[Self.timeZoneCookie]?.value.removingPercentEncoding, name.count < 64, let zone = TimeZone(identifier: name) {
            return zone
        }
        return TimeZone.current
    }

    func frame(_ title: String, _ session: PageSession?, section: String) -> PageFrame {
        PageFrame(title: title, session: session, section: section, timeZone: DateText(timeZone).zoneName)
    }

    var query: Query { Query(request: request) }
}

/// Dates as the pages show them: in one time zone, to the second, with the zone's abbreviation.
/// Its formatters are made once per page (making one costs more than formatting fifty dates).
struct DateText {
    let zone: TimeZone
    private let display: DateFormatter

    init(_ zone: TimeZone) {
        self.zone = zone
        display = Self.formatter("yyyy-MM-dd HH:mm:ss zzz", zone)
    }

    private static func formatter(_ pattern: String, _ zone: TimeZone) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = pattern
        return formatter
    }

    /// `Europe/Berlin (CET)`.
    var zoneName: String {
        let abbreviation = zone.abbreviation() ?? ""
        return abbreviation.isEmpty || abbreviation == zone.identifier ? zone.identifier : "\(zone.identifier) (\(abbreviation))"
    }

    /// `2026-12-03 10:41:05 CET`.
    func text(_ date: Date?) -> String {
        date.map(display.string(from:)) ?? ""
    }

    /// Reads a `datetime-local` value (`2026-12-03T10:41`, seconds optional, or a day) in this zone.
    func date(fromInput text: String) -> Date? {
        for pattern in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"] {
            if let date = Self.formatter(pattern, zone).date(from: text) { return date }
        }
        return nil
    }
}

/// A pager under a list: where we are, the total, and links to the previous and next pages that
/// keep the other parameters.
struct Pager: Sendable {
    var page: Int
    var pages: Int
    var total: Int
    var first: Int
    var last: Int
    var previous: String?
    var next: String?
    /// Whether there is anything to page through (a section over 0 is true in Mustache).
    var hasItems: Bool

    init(page: Int, perPage: Int, total: Int, link: (Int) -> String) {
        self.page = page
        self.total = total
        hasItems = total > 0
        pages = max(1, (total + perPage - 1) / perPage)
        first = total == 0 ? 0 : (page - 1) * perPage + 1
        last = min(total, page * perPage)
        previous = page > 1 ? link(page - 1) : nil
        next = page < pages ? link(page + 1) : nil
    }
}

/// A use case's message as a sentence on a page: capitalised, with a full stop.
func sentence(_ message: String) -> String {
    guard let first = message.first else { return message }
    let text = first.uppercased() + message.dropFirst()
    return text.hasSuffix(".") ? text : text + "."
}

/// A value as one segment of a path (`/users/a%2Fb`): everything but unreserved characters encoded.
func pathSegment(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~@")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
}

/// A link with query parameters, encoded.
func pageLink(_ path: String, _ parameters: [(String, String?)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~:")
    let query = parameters.compactMap { name, value in
        value.flatMap { $0.isEmpty ? nil : "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
    }
    return query.isEmpty ? path : path + "?" + query.joined(separator: "&")
}

/// Page errors as pages: a redirect becomes 303, an API error an HTML page with its status and
/// message in words (never JSON in the browser).
struct PageErrorMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let renderer: PageRenderer

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let redirect as Redirect {
            return Response.redirect(to: redirect.location, type: .normal)
        } catch let error as HTTPResponseError {
            let message = (error as? APIError)?.message ?? (error as? HTTPError)?.body ?? error.status.reasonPhrase
            let page = PageRequest(request: request, context: context)
            let session = try? page.session()
            struct ErrorView { var status: Int; var reason: String; var message: String }
            return renderer.page(
                "error", ErrorView(status: error.status.code, reason: error.status.reasonPhrase, message: message),
                frame: page.frame("Something went wrong", session, section: ""), status: error.status)
        }
    }
}
