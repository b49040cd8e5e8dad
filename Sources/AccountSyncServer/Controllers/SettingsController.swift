import AccountSyncApp
import Foundation
import Hummingbird

/// The sync settings: read them (and whether the config file pins them), save a new version, and
/// list the versions.
struct SettingsController {
    let app: AccountSync

    func addRoutes(to group: RouterGroup<ServerContext>) {
        group.get("settings", use: show)
        group.put("settings", use: save)
        group.get("settings/history", use: history)
    }

    struct SettingsView: Encodable {
        var pinnedByFile: Bool
        var version: Int64?
        var managedIn: String
        var document: String
    }

    @Sendable func show(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        guard let active = try useCase({ () throws(AppError) in try app.activeSettings() }) else {
            return try JSONResponse.make(SettingsView(pinnedByFile: false, version: nil, managedIn: "store", document: "{}"))
        }
        return try JSONResponse.make(SettingsView(
            pinnedByFile: active.pinnedByFile, version: active.version, managedIn: active.pinnedByFile ? app.config.file : "store",
            document: active.document))
    }

    /// The body is the settings document (JSON of the `sync:` section's content).
    @Sendable func save(request: Request, context: ServerContext) async throws -> Response {
        let principal = try Access.require(.administer, context, request: request)
        guard !app.config.syncPinned else {
            throw APIError(.conflict, code: "SETTINGS_PINNED", "the sync settings are managed in the config file (\(app.config.file)); edit them there")
        }
        let body = try await request.body.collect(upTo: 1024 * 1024)
        let text = String(buffer: body)
        guard !text.isEmpty else { throw APIError.badParameter("body", "the settings document is empty") }
        let version: Int64
        do throws(AppError) {
            version = try app.saveSettings(document: text, actor: principal.actor)
        } catch {
            throw APIError(.badRequest, code: "INVALID_SETTINGS", error.message)
        }
        struct Saved: Encodable { var version: Int64 }
        return try JSONResponse.make(Saved(version: version))
    }

    @Sendable func history(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        return try JSONResponse.make(try useCase { () throws(AppError) in try app.settingsHistory() })
    }
}
