import Foundation
import GRDB
import SyncCore

/// One saved version of the sync settings: the document, who saved it, when, and what changed.
public struct SettingsVersion: Sendable, Codable, Equatable {
    public var version: Int64
    public var document: String
    public var savedBy: String
    public var savedAt: Date
    public var changes: [FieldChange]
}

extension AccountStore {
    /// The newest settings version, or nil when none was saved.
    public func latestSettings() throws(StoreError) -> SettingsVersion? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM settings_versions ORDER BY version DESC LIMIT 1").map(Self.settingsVersion) }
    }

    /// Every version, newest first, without their documents' text kept short: all of it.
    public func settingsHistory() throws(StoreError) -> [SettingsVersion] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM settings_versions ORDER BY version DESC").map(Self.settingsVersion) }
    }

    /// Saves a new version; returns its number.
    public func saveSettings(document: String, savedBy: String, changes: [FieldChange], at date: Date = Date()) throws(StoreError) -> Int64 {
        try write { db in
            let encoded = String(decoding: (try? JSONEncoder().encode(changes)) ?? Data("[]".utf8), as: UTF8.self)
            try db.execute(
                sql: "INSERT INTO settings_versions (document, savedBy, savedAt, changes) VALUES (?, ?, ?, ?)",
                arguments: [document, savedBy, date, encoded])
            return db.lastInsertedRowID
        }
    }

    /// Records the agent that fed a run.
    public func setRunAgent(_ runId: Int64, _ agent: AgentInfo) throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE runs SET agent = ?, agentSource = ? WHERE id = ?", arguments: [agent.name, agent.source, runId]) }
    }

    /// Records which settings version a run ran with.
    public func setRunSettingsVersion(_ runId: Int64, version: Int64) throws(StoreError) {
        try write { db in try db.execute(sql: "UPDATE runs SET settingsVersion = ? WHERE id = ?", arguments: [version, runId]) }
    }

    private static func settingsVersion(_ row: Row) throws -> SettingsVersion {
        let changes: String = try row.decode(forColumn: "changes")
        return SettingsVersion(
            version: try row.decode(forColumn: "version"), document: try row.decode(forColumn: "document"),
            savedBy: try row.decode(forColumn: "savedBy"), savedAt: try row.decode(forColumn: "savedAt"),
            changes: (try? JSONDecoder().decode([FieldChange].self, from: Data(changes.utf8))) ?? [])
    }
}
