import AccountSyncApp
import AccountSyncConfig
import Foundation
import Hummingbird
import SyncCore
import SyncStore

/// The Account Sync page of the product: Update Settings, Deletion Safeguard, User Group Sync and
/// User Sync (the dataset each uses, Switch and Reset), owned fields and license; Edit → check
/// (each problem next to its field) → Save as a new version; the versions. Read-only, with a note,
/// when the config file pins the settings.
struct SyncPages {
    let app: AccountSync
    let renderer: PageRenderer

    func addRoutes(to router: RouterGroup<ServerContext>) {
        router.get("sync", use: show)
        router.get("sync/edit", use: edit)
        router.post("sync", use: save)
        router.post("sync/reset", use: reset)
        router.get("sync/history", use: versions)
    }

    /// One field of the form: its key path below `sync`, label, current text, hint and problem.
    struct Field {
        var key: String
        var id: String
        var label: String
        var value: String
        var hint: String?
        var error: String?
        /// A number (a decimal keypad on phones); otherwise text.
        var number: Bool
        /// A list, one entry per line (a text area).
        var list: Bool
    }

    struct Option { var value: String; var label: String; var selected: Bool }

    struct SettingsView {
        var pinned: Bool
        var file: String
        var version: Int64?
        var hasSettings: Bool
        var update: String
        var dailyAt: String
        var daily: Bool
        var usersDataset: String?
        var groupsDataset: String?
        var usersDatasetLink: String?
        var groupsDatasetLink: String?
        var safeguard: [Fact]
        var ownedFields: String
        var license: [Fact]
        var limits: [Fact]
        var csrf: String
    }

    struct Fact { var label: String; var value: String }

    // MARK: The page

    @Sendable func show(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let active = try useCase { () throws(AppError) in try app.activeSettings() }
        let settings = active?.settings
        let guardSettings = settings?.policy.safeguard ?? DeletionSafeguard()
        func limit(_ value: Int?) -> String { value.map(String.init) ?? "no limit" }
        var safeguard = [
            Fact(label: "Users deleted per run, at most", value: limit(guardSettings.maxUserDeletions)),
            Fact(label: "User groups deleted per run, at most", value: limit(guardSettings.maxGroupDeletions)),
            Fact(label: "Share of managed users deleted per run, at most", value: "\(Self.percent(guardSettings.maxUserDeletionPercent)) %"),
            Fact(label: "Share of managed user groups deleted per run, at most", value: "\(Self.percent(guardSettings.maxGroupDeletionPercent)) %"),
            Fact(label: "Deleted users are", value: guardSettings.deletedUsers == .disable ? "disabled" : "removed"),
            Fact(label: "Administrators are protected", value: guardSettings.protection.administrators ? "yes" : "no"),
            Fact(label: "Protected accounts", value: guardSettings.protection.accounts.isEmpty ? "none" : guardSettings.protection.accounts.joined(separator: ", ")),
            Fact(label: "Protected user groups", value: guardSettings.protection.groups.isEmpty ? "none" : guardSettings.protection.groups.joined(separator: ", ")),
            Fact(label: "Members removed from one group per run, at most", value: limit(guardSettings.maxMembershipRemovalsPerGroup)),
        ]
        if let window = guardSettings.window {
            safeguard.append(Fact(label: "Over \(window.days) days, at most", value: "\(limit(window.maxUserDeletions)) users, \(limit(window.maxGroupDeletions)) user groups"))
        }
        if let days = guardSettings.purgeAfterDays { safeguard.append(Fact(label: "Disabled leavers are removed after", value: "\(days) days")) }
        let policy = settings?.policy ?? SyncPolicy()
        let update: String
        var dailyAt = ""
        switch settings?.update ?? .manual {
        case .manual: update = "Manual: runs start from Sync now, the API or the command line"
        case .daily(let hour, let minute):
            dailyAt = String(format: "%02d:%02d", hour, minute)
            update = "Daily at \(dailyAt) (the systemd timer account-sync.timer)"
        }
        let view = SettingsView(
            pinned: active?.pinnedByFile ?? false, file: app.config.file, version: active?.version, hasSettings: active != nil, update: update,
            dailyAt: dailyAt, daily: !dailyAt.isEmpty, usersDataset: settings?.usersDataset, groupsDataset: settings?.groupsDataset,
            usersDatasetLink: settings?.usersDataset.map(DatasetPages.link), groupsDatasetLink: settings?.groupsDataset.map(DatasetPages.link), safeguard: safeguard,
            ownedFields: policy.ownedFields.map(\.rawValue).sorted().joined(separator: ", "),
            license: [
                Fact(label: "Users, at most", value: limit(policy.license.maxUsers)),
                Fact(label: "Editable users (Regular User, Administrator), at most", value: limit(policy.license.maxEditableUsers)),
            ],
            limits: [
                Fact(label: "Account", value: "\(policy.limits.account)"), Fact(label: "Name", value: "\(policy.limits.name)"),
                Fact(label: "Email", value: "\(policy.limits.email)"), Fact(label: "Mobile", value: "\(policy.limits.mobile)"),
                Fact(label: "Group ID", value: "\(policy.limits.groupId)"), Fact(label: "Group name", value: "\(policy.limits.groupName)"),
            ],
            csrf: session.csrf)
        var frame = page.frame("Account Sync", session, section: "sync")
        frame.notice = page.query.string("saved").map { "Saved as settings version \($0)." }
        return renderer.page("sync", view, frame: frame)
    }

    static func percent(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    // MARK: Edit and save

    struct EditView {
        var update: [Option]
        var dailyAt: Field
        var usersDataset: [Option]
        var groupsDataset: [Option]
        var datasetError: String?
        var safeguard: [Field]
        var deletedUsers: [Option]
        var protectAdministrators: Bool
        var ownedFields: [Option]
        var license: [Field]
        var general: [String]
        var hasGeneral: Bool
        var csrf: String
        var version: Int64?
    }

    /// The form's text fields: key path below `sync`, label, hint, and whether it is a list (one
    /// entry per line or comma) rather than a number.
    static let fieldSpecs: [(key: String, label: String, hint: String?, isList: Bool)] = [
        ("safeguard.maxUserDeletions", "Users deleted per run, at most", nil, false),
        ("safeguard.maxGroupDeletions", "User groups deleted per run, at most", nil, false),
        ("safeguard.maxUserDeletionPercent", "Share of managed users deleted per run, at most (%)", "Not applied below 20 managed users.", false),
        ("safeguard.maxGroupDeletionPercent", "Share of managed user groups deleted per run, at most (%)", "Not applied below 20 managed groups.", false),
        ("safeguard.window.days", "Rolling window (days)", "Empty: no window.", false),
        ("safeguard.window.maxUserDeletions", "Users deleted within the window, at most", nil, false),
        ("safeguard.window.maxGroupDeletions", "User groups deleted within the window, at most", nil, false),
        ("safeguard.maxMembershipRemovalsPerGroup", "Members removed from one group per run, at most", "Empty: no limit.", false),
        ("safeguard.purgeAfterDays", "Remove disabled leavers after (days)", "Only when deleted users are disabled. Empty: never.", false),
        ("safeguard.protect.accounts", "Protected accounts", "One per line. Runs never delete them.", true),
        ("safeguard.protect.groups", "Protected user groups", "One group ID per line; protects the group and its members.", true),
        ("license.maxUsers", "License: users, at most", "Empty: no limit.", false),
        ("license.maxEditableUsers", "License: editable users, at most", "Regular User and Administrator. Empty: no limit.", false),
    ]

    @Sendable func edit(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        try refuseWhenPinned()
        let active = try useCase { () throws(AppError) in try app.activeSettings() }
        // Before the first save, the form starts from the defaults a run would use.
        let document = active.flatMap { try? SyncSettingsDocument.parse($0.document) }
            ?? SyncSettingsDocument.document(SyncSettings(update: .manual, usersDataset: nil, groupsDataset: nil, policy: SyncPolicy()))
        let values = SyncSettingsDocument.flatten(document, prefix: "")
        func value(_ key: String) -> String {
            let text = values["." + key] ?? ""
            if text.hasPrefix("[") && text.hasSuffix("]") { return text.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n") }
            // A whole percentage reads as the admin typed it: 20, not 20.0.
            if text.hasSuffix(".0"), Double(text) != nil { return String(text.dropLast(2)) }
            return text
        }
        var form: [String: String] = [:]
        for spec in Self.fieldSpecs { form[spec.key] = value(spec.key) }
        form["update"] = value("update").isEmpty ? "manual" : value("update")
        form["dailyAt"] = value("dailyAt")
        form["users.dataset"] = value("users.dataset")
        form["groups.dataset"] = value("groups.dataset")
        form["safeguard.deletedUsers"] = value("safeguard.deletedUsers")
        form["safeguard.protect.administrators"] = value("safeguard.protect.administrators") == "false" ? "" : "on"
        let owned = (active?.settings.policy.ownedFields ?? SyncPolicy().ownedFields).map(\.rawValue)
        return try editPage(page, session: session, form: form, owned: Set(owned), problems: [], version: active?.version)
    }

    private func editPage(
        _ page: PageRequest, session: PageSession, form: [String: String], owned: Set<String>, problems: [ConfigProblem], version: Int64?
    ) throws -> Response {
        var unplaced = problems
        func problem(for key: String) -> String? {
            let matching = unplaced.filter { $0.path == "sync." + key || $0.path.hasPrefix("sync." + key + "[") || $0.path.hasPrefix("sync." + key + ".") }
            unplaced.removeAll { item in matching.contains(item) }
            return matching.isEmpty ? nil : matching.map { sentence($0.message) }.joined(separator: " ")
        }
        let datasets = try useCase { () throws(AppError) in try app.datasets() }
        func datasetOptions(_ kind: DatasetKind, _ key: String) -> [Option] {
            let chosen = form[key] ?? ""
            var options = [Option(value: "", label: "None (do not sync \(kind == .users ? "users" : "user groups"))", selected: chosen.isEmpty)]
            options += datasets.filter { $0.kind == kind }.map { Option(value: $0.name, label: "\($0.name) — \($0.rowCount) rows", selected: $0.name == chosen) }
            if !chosen.isEmpty, !datasets.contains(where: { $0.name == chosen }) {
                options.append(Option(value: chosen, label: "\(chosen) — not stored (deleted?)", selected: true))
            }
            return options
        }
        let fields = Self.fieldSpecs.map { spec in
            Field(
                key: spec.key, id: spec.key.replacingOccurrences(of: ".", with: "-"), label: spec.label, value: form[spec.key] ?? "", hint: spec.hint,
                error: problem(for: spec.key), number: !spec.isList, list: spec.isList)
        }
        let dailyError = problem(for: "dailyAt") ?? problem(for: "update")
        var datasetProblems = [problem(for: "users.dataset"), problem(for: "groups.dataset"), problem(for: "users"), problem(for: "groups")].compactMap { $0 }
        if unplaced.contains(where: { $0.path == "sync" && $0.message.contains("dataset") }) {
            unplaced.removeAll { $0.path == "sync" && $0.message.contains("dataset") }
            datasetProblems.append("Choose the dataset of User Sync, of User Group Sync, or both.")
        }
        let datasetError = datasetProblems.joined(separator: " ")
        let deletedError = problem(for: "safeguard.deletedUsers")
        let general = unplaced.map { ($0.path.isEmpty ? "" : "\($0.path): ") + $0.message } + (deletedError.map { [$0] } ?? [])
        let view = EditView(
            update: [Option(value: "manual", label: "Manual", selected: form["update"] != "daily"), Option(value: "daily", label: "Daily", selected: form["update"] == "daily")],
            dailyAt: Field(key: "dailyAt", id: "dailyAt", label: "Daily at (HH:MM, 24-hour)", value: form["dailyAt"] ?? "", hint: "The server's local time.", error: dailyError, number: false, list: false),
            usersDataset: datasetOptions(.users, "users.dataset"), groupsDataset: datasetOptions(.groups, "groups.dataset"),
            datasetError: datasetError.isEmpty ? nil : datasetError, safeguard: fields.filter { $0.key.hasPrefix("safeguard.") },
            deletedUsers: [
                Option(value: "disable", label: "Disabled (they can be restored)", selected: form["safeguard.deletedUsers"] != "remove"),
                Option(value: "remove", label: "Removed", selected: form["safeguard.deletedUsers"] == "remove"),
            ],
            protectAdministrators: form["safeguard.protect.administrators"] == "on",
            ownedFields: OwnedField.allCases.map { Option(value: $0.rawValue, label: $0.rawValue, selected: owned.contains($0.rawValue)) },
            license: fields.filter { $0.key.hasPrefix("license.") }, general: general, hasGeneral: !general.isEmpty, csrf: session.csrf, version: version)
        var frame = page.frame("Edit Account Sync", session, section: "sync")
        if !problems.isEmpty { frame.error = "The settings were not saved: correct the \(problems.count == 1 ? "field" : "fields") marked below." }
        return renderer.page("sync-edit", view, frame: frame, status: problems.isEmpty ? .ok : .badRequest)
    }

    @Sendable func save(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let fields = try await page.form(session)
        try refuseWhenPinned()
        let active = try useCase { () throws(AppError) in try app.activeSettings() }
        var document = active.flatMap { try? SyncSettingsDocument.parse($0.document) } ?? [:]
        var form: [String: String] = [:]
        var problems: [ConfigProblem] = []
        func set(_ key: String, _ yaml: String) {
            do { try SyncSettingsDocument.set(key, to: yaml, in: &document) } catch { problems += error.problems }
        }
        for spec in Self.fieldSpecs {
            let text = fields[spec.key]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            form[spec.key] = text
            if spec.isList {
                let items = text.split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == "\r" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                set(spec.key, "[" + items.map(Self.quoted).joined(separator: ", ") + "]")
            } else if text.isEmpty {
                set(spec.key, "")
            } else {
                // A number field's text goes in as text when it is not a number, so the check names it.
                set(spec.key, Double(text) != nil ? text : Self.quoted(text))
            }
        }
        if (form["safeguard.window.days"] ?? "").isEmpty && (form["safeguard.window.maxUserDeletions"] ?? "").isEmpty && (form["safeguard.window.maxGroupDeletions"] ?? "").isEmpty {
            set("safeguard.window", "")
        }
        let update = fields["update"] == "daily" ? "daily" : "manual"
        form["update"] = update
        form["dailyAt"] = fields.text("dailyAt") ?? ""
        set("update", update)
        set("dailyAt", update == "daily" ? Self.quoted(form["dailyAt"] ?? "") : "")
        for key in ["users.dataset", "groups.dataset"] {
            let name = fields.text(key) ?? ""
            form[key] = name
            set(String(key.split(separator: ".")[0]), name.isEmpty ? "" : "{dataset: \(Self.quoted(name))}")
        }
        let deleted = fields["safeguard.deletedUsers"] == "remove" ? "remove" : "disable"
        form["safeguard.deletedUsers"] = deleted
        set("safeguard.deletedUsers", deleted)
        form["safeguard.protect.administrators"] = fields["safeguard.protect.administrators"] == "on" ? "on" : ""
        set("safeguard.protect.administrators", fields["safeguard.protect.administrators"] == "on" ? "true" : "false")
        let owned = fields.all("ownedFields").filter { OwnedField(rawValue: $0) != nil }
        set("ownedFields", "[" + owned.joined(separator: ", ") + "]")
        let text = SyncSettingsDocument.text(document)
        problems += app.settingsProblems(document: text)
        guard problems.isEmpty else {
            return try editPage(page, session: session, form: form, owned: Set(owned), problems: problems, version: active?.version)
        }
        let version = try useCase { () throws(AppError) in try app.saveSettings(document: text, actor: session.actor) }
        return .redirect(to: "/sync?saved=\(version)", type: .normal)
    }

    /// Reset: the sync of users (or user groups) no longer reads a dataset until one is chosen again.
    @Sendable func reset(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let fields = try await page.form(session)
        try refuseWhenPinned()
        let key = fields["kind"] == "groups" ? "groups" : "users"
        guard let active = try useCase({ () throws(AppError) in try app.activeSettings() }), var document = try? SyncSettingsDocument.parse(active.document) else {
            return .redirect(to: "/sync", type: .normal)
        }
        try? SyncSettingsDocument.set(key, to: "", in: &document)
        let problems = app.settingsProblems(document: SyncSettingsDocument.text(document))
        guard problems.isEmpty else {
            throw APIError(.badRequest, code: "INVALID_SETTINGS", "The \(key == "users" ? "User Sync" : "User Group Sync") dataset cannot be reset: " + problems.map(\.message).joined(separator: "; ") + ". Switch to another dataset instead.")
        }
        let version = try useCase { () throws(AppError) in try app.saveSettings(document: SyncSettingsDocument.text(document), actor: session.actor) }
        return .redirect(to: "/sync?saved=\(version)", type: .normal)
    }

    private func refuseWhenPinned() throws(APIError) {
        guard !app.config.syncPinned else {
            throw APIError(.conflict, code: "SETTINGS_PINNED", "The sync settings are managed in the config file (\(app.config.file), its sync: section); edit them there, or remove that section to manage them here.")
        }
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    // MARK: Versions

    struct VersionsView { var versions: [VersionRow]; var hasVersions: Bool; var pinned: Bool }
    struct VersionRow { var version: Int64; var savedAt: String; var savedBy: String; var changes: [FieldChange] }

    @Sendable func versions(request: Request, context: ServerContext) async throws -> Response {
        let page = PageRequest(request: request, context: context)
        let session = try page.session()
        let dates = DateText(page.timeZone)
        let versions = try useCase { () throws(AppError) in try app.settingsHistory() }
            .sorted { $0.version > $1.version }
            .map { VersionRow(version: $0.version, savedAt: dates.text($0.savedAt), savedBy: $0.savedBy, changes: $0.changes) }
        let view = VersionsView(versions: versions, hasVersions: !versions.isEmpty, pinned: app.config.syncPinned)
        return renderer.page("sync-history", view, frame: page.frame("Settings history", session, section: "sync"))
    }
}
