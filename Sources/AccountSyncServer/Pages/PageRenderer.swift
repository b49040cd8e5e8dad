import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the Admin Center's pages: each page's template (under `Resources/templates`, escaped by
/// default) inside the one layout with the navigation. Loaded once when the server starts.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    /// The templates shipped as resources, registered by file name without `.mustache`.
    static let shipped: PageRenderer = {
        var library = MustacheLibrary()
        let folder = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources")
        let files = folder.flatMap { try? FileManager.default.contentsOfDirectory(at: $0, includingPropertiesForKeys: nil) } ?? []
        for file in files where file.pathExtension == "mustache" {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            do {
                try library.register(text, named: file.deletingPathExtension().lastPathComponent)
            } catch {
                preconditionFailure("template \(file.lastPathComponent) does not parse: \(error)")
            }
        }
        return PageRenderer(library: library)
    }()

    /// A whole page: `template` rendered with `model`, inside the layout.
    func page(_ template: String, _ model: Any, frame: PageFrame, status: HTTPResponse.Status = .ok) -> Response {
        guard let body = library.render(model, withTemplate: template) else {
            preconditionFailure("no template named \(template)")
        }
        var frame = frame
        frame.body = body
        let html = library.render(frame, withTemplate: "layout") ?? body
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// What the layout shows around a page: its title, who is signed in, the navigation with the
/// current section, a notice or an error, and the time zone dates are shown in.
struct PageFrame: Sendable {
    var title: String
    var admin: String?
    var csrf: String?
    var notice: String?
    var error: String?
    var timeZone: String
    /// `<meta http-equiv=refresh>` seconds for pages that follow something live (run progress),
    /// for browsers without JavaScript.
    var refreshSeconds: Int?
    var navigation: [NavigationLink]
    var body = ""

    struct NavigationLink: Sendable {
        var href: String
        var label: String
        var current: Bool
    }

    init(title: String, session: PageSession?, section: String, timeZone: String) {
        self.title = title
        self.admin = session?.admin
        self.csrf = session?.csrf
        self.timeZone = timeZone
        let sections = [
            ("/sync", "Account Sync", "sync"), ("/history", "Update History", "history"), ("/users", "Users", "users"),
            ("/groups", "User Groups", "groups"), ("/datasets", "Datasets", "datasets"), ("/access", "Admins & tokens", "access"),
        ]
        navigation = session == nil ? [] : sections.map { NavigationLink(href: $0.0, label: $0.1, current: $0.2 == section) }
    }
}
