import AccountSyncConfig
import Foundation
import SyncCore
import SyncStore

/// The sync settings as they govern runs now: their document, where they come from, and the
/// version (nil when the config file pins them).
public struct ActiveSettings: Sendable {
    public var settings: SyncSettings
    public var document: String
    /// True when the config file's `sync:` section pins them: read-only everywhere else.
    public var pinnedByFile: Bool
    public var version: Int64?
}

extension AccountSync {
    /// Why settings cannot be changed here: the file pins them.
    private var pinnedMessage: String {
        "the sync settings are managed in the config file (\(config.file), its sync: section); edit them there, or remove that section to manage them here, versioned in the store"
    }

    /// The settings that govern runs: the file's `sync:` section, else the newest saved version.
    public func activeSettings() throws(AppError) -> ActiveSettings? {
        if config.syncPinned {
            let settings = config.syncSettings
            return ActiveSettings(settings: settings, document: SyncSettingsDocument.text(SyncSettingsDocument.document(settings)), pinnedByFile: true, version: nil)
        }
        guard let latest = try withStore({ try $0.latestSettings() }) else { return nil }
        do {
            let settings = try ConfigLoader.parseSyncSettings(latest.document, source: "settings version \(latest.version)")
            return ActiveSettings(settings: settings, document: latest.document, pinnedByFile: false, version: latest.version)
        } catch {
            throw AppError(.configInvalid, "settings version \(latest.version) in the store cannot be read: \(error)")
        }
    }

    /// This application with the settings that govern runs applied: itself when the file pins
    /// them, else with the store's newest version. Throws when there are none yet.
    public func effective() throws(AppError) -> AccountSync {
        if config.syncPinned { return self }
        guard let active = try activeSettings(), let version = active.version else {
            throw AppError(.configInvalid, "there are no sync settings yet: \(config.file) has no sync: section and none were saved in the store. Save them with account-sync settings set users.dataset NAME (and groups.dataset, safeguard.…) or in the Admin Center")
        }
        var applied = config.applying(active.settings, version: version)
        applied.syncPinned = true
        return AccountSync(config: applied, logger: logger)
    }

    /// Saves a full settings document (YAML or JSON of the `sync:` section's content) as a new
    /// version, after the checks of the config file; returns the version.
    @discardableResult
    public func saveSettings(document text: String, actor: String) throws(AppError) -> Int64 {
        guard !config.syncPinned else { throw AppError(.usage, pinnedMessage) }
        let settings: SyncSettings
        do { settings = try ConfigLoader.parseSyncSettings(text, source: "the settings") } catch { throw AppError(error) }
        let new = SyncSettingsDocument.document(settings)
        let old = try activeSettings().map { (try? SyncSettingsDocument.parse($0.document)) ?? [:] } ?? [:]
        let changes = SyncSettingsDocument.changes(from: old, to: new)
        if !changes.isEmpty || old.isEmpty {
            let version = try withStore { try $0.saveSettings(document: SyncSettingsDocument.text(new), savedBy: actor, changes: changes) }
            logger.notice("sync settings version \(version) saved by \(actor): \(changes.map(\.field).joined(separator: ", "))")
            return version
        }
        return try activeSettings()?.version ?? 0
    }

    /// What is wrong with a settings document, problem by problem with its key path
    /// (`sync.safeguard.maxUserDeletions`), so a form can show each next to its field; empty when
    /// it would save.
    public func settingsProblems(document text: String) -> [ConfigProblem] {
        do {
            _ = try ConfigLoader.parseSyncSettings(text, source: "the settings")
            return []
        } catch {
            return error.problems
        }
    }

    /// Sets one key (`safeguard.maxUserDeletions`, `users.dataset`…) and saves a new version.
    @discardableResult
    public func setSetting(_ key: String, to value: String, actor: String) throws(AppError) -> Int64 {
        guard !config.syncPinned else { throw AppError(.usage, pinnedMessage) }
        var document: [String: Any] = [:]
        if let active = try activeSettings() {
            do { document = try SyncSettingsDocument.parse(active.document) } catch { throw AppError(error) }
        }
        do { try SyncSettingsDocument.set(key, to: value, in: &document) } catch { throw AppError(error) }
        return try saveSettings(document: SyncSettingsDocument.text(document), actor: actor)
    }

    public func settingsHistory() throws(AppError) -> [SettingsVersion] {
        try withStore { try $0.settingsHistory() }
    }
}
