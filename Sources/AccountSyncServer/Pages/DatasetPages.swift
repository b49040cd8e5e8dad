import AccountSyncApp
import AccountSyncConfig
import Foundation
import Hummingbird
import SyncCore
import SyncStore

/// The stored datasets: the list (kind, rows, source, imported at, which sync uses it), a
/// dataset's rows page by page, uploading a CSV or JSON Lines file (the checks of
/// `datasets import`, errors with their line) and deleting one.
struct DatasetPages {
    let app: AccountSync
    let renderer: PageRenderer
    static let perPage = 50

    func addRoutes(to router: RouterGroup<ServerContext>) {
        router.get("datasets", use: list)
        router.post("datasets", use: upload)
        router.get("datasets/:name", use: show)
        router.post("datasets/:name/delete", use: delete)
    }

    struct ListView {
        var rows: [Row]
        var hasRows: Bool
        var csrf: String
        var upload: UploadForm
    }

    struct Row {
        var name: String
        var link: String
        var kind: String
        var rowCount: Int
        var source: String
        var importedAt: String
        /// The sync that reads it (User Sync, User Group Sync), if one does.
        var usedBy: String?

        init(_ info: DatasetInfo, settings: SyncSettings?, dates: DateText) {
            name = info.name
            link = DatasetPages.link(info.name)
            kind = info.kind == .users ? "Users" : "User groups"
            rowCount = info.rowCount
            source = info.source
            importedAt = dates.text(info.importedAt)
            usedBy = info.name == settings?.usersDataset ? "User Sync" : info.name == settings?.groupsDataset ? "User Group Sync" : nil
        }
    }
    struct UploadForm { var name: String; var usersKind: Bool; var nameError: String?; var fileError: String?; var fileProblem: String? }

    @Sendable func list(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let notice = page.query.string("deleted").map { "Dataset '\($0)' deleted." } ?? page.query.string("imported").map { "Dataset '\($0)' imported." }
        return try listPage(page, session: session, upload: UploadForm(name: "", usersKind: true), notice: notice)
    }

    private func listPage(_ page: PageRequest, session: PageSession, upload: UploadForm, notice: String?) throws -> Response {
        let dates = DateText(page.timeZone)
        let datasets = try useCase { () throws(AppError) in try app.datasets() }
        let settings = try? app.activeSettings()?.settings
        let rows = datasets.map { Row($0, settings: settings, dates: dates) }
        var frame = page.frame("Datasets", session, section: "datasets")
        frame.notice = notice
        let failed = upload.nameError != nil || upload.fileError != nil || upload.fileProblem != nil
        if failed { frame.error = "The file was not imported; nothing was changed." }
        return renderer.page("datasets", ListView(rows: rows, hasRows: !rows.isEmpty, csrf: session.csrf, upload: upload), frame: frame, status: failed ? .badRequest : .ok)
    }

    @Sendable func upload(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard let form = MultipartForm(contentType: request.headers[.contentType], body: body) else {
            throw APIError(.badRequest, code: "BAD_FORM", "The upload could not be read: send the form as multipart/form-data.")
        }
        guard form.text("csrf") == session.csrf else { throw PageRequest.csrfRefused }
        let name = form.text("name")?.trimmingCharacters(in: .whitespaces) ?? ""
        let kind: DatasetKind = form.text("kind") == "groups" ? .groups : .users
        var upload = UploadForm(name: name, usersKind: kind == .users)
        if name.isEmpty { upload.nameError = "Give the dataset a name, e.g. hr-users." }
        let file = form.file("file")
        if file == nil || file?.fileName?.isEmpty != false {
            upload.fileError = "Choose a .csv or .jsonl file."
        } else if file?.bytes.isEmpty == true {
            upload.fileError = "The file is empty."
        }
        guard upload.nameError == nil, upload.fileError == nil, let file else {
            return try listPage(page, session: session, upload: upload, notice: nil)
        }
        do {
            let info = try app.importDataset(kind: kind, name: name, bytes: file.bytes, fileName: file.fileName ?? "upload", actor: session.actor)
            return .redirect(to: pageLink("/datasets", [("imported", info.name)]), type: .normal)
        } catch {
            if error.message.hasPrefix("the dataset name") || error.message.hasPrefix("dataset names") || error.message.hasPrefix("dataset '") {
                upload.nameError = sentence(error.message)
            } else {
                upload.fileProblem = error.message
            }
            return try listPage(page, session: session, upload: upload, notice: nil)
        }
    }

    struct DatasetView {
        var info: Row
        var users: [UserRow]
        var groups: [GroupRowView]
        var isUsers: Bool
        var hasRows: Bool
        var pager: Pager
        var csrf: String
    }

    struct GroupRowView { var groupId: String; var name: String; var parentGroupId: String; var externalId: String }

    @Sendable func show(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let name = context.parameters.get("name")?.removingPercentEncoding ?? ""
        let number = try page.query.int("page", default: 1, range: 1...1_000_000)
        guard let found = try useCase({ () throws(AppError) in try app.datasetRows(name: name, page: number, perPage: Self.perPage) }) else {
            throw APIError.notFound("There is no dataset named '\(name)'.")
        }
        let info = found.info
        let settings = try? app.activeSettings()?.settings
        let row = Row(info, settings: settings, dates: DateText(page.timeZone))
        let view = DatasetView(
            info: row, users: found.users,
            groups: found.groups.map { GroupRowView(groupId: $0.groupId, name: $0.name, parentGroupId: $0.parentGroupId, externalId: $0.externalId) },
            isUsers: info.kind == .users, hasRows: info.rowCount > 0,
            pager: Pager(page: number, perPage: Self.perPage, total: info.rowCount) { "\(Self.link(info.name))?page=\($0)" }, csrf: session.csrf)
        return renderer.page("dataset", view, frame: page.frame("Dataset \(info.name)", session, section: "datasets"))
    }

    @Sendable func delete(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        _ = try await page.form(session)
        let name = context.parameters.get("name")?.removingPercentEncoding ?? ""
        try useCase { () throws(AppError) in try app.deleteDataset(name: name, actor: session.actor) }
        return .redirect(to: pageLink("/datasets", [("deleted", name)]), type: .normal)
    }

    static func link(_ name: String) -> String {
        "/datasets/" + pathSegment(name)
    }
}
