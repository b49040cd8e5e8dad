import SyncCore

/// The columns of each dataset kind (DESIGN.md's dataset contract) and how a cell becomes a value.
enum DatasetColumns {
    static let users = ["account", "name", "email", "mobile", "accountType", "groupIds", "disabled", "externalId"]
    static let groups = ["groupId", "name", "parentGroupId", "externalId"]
    static let thirdPartyPrefix = "thirdParty."

    static func names(for kind: DatasetKind) -> [String] { kind == .users ? users : groups }

    /// The canonical spelling of a header cell, or nil when it is not a column of this kind.
    static func canonical(_ header: String, kind: DatasetKind) -> String? {
        let trimmed = header.trimmingSpaces()
        if trimmed.lowercased().hasPrefix(thirdPartyPrefix.lowercased()) {
            let system = trimmed.dropFirst(thirdPartyPrefix.count)
            return system.isEmpty ? nil : thirdPartyPrefix + system
        }
        return names(for: kind).first { $0.lowercased() == trimmed.lowercased() }
    }

    /// `true/false/yes/no/1/0/empty`, any case.
    static func parseBool(_ text: String) -> Bool? {
        switch text.trimmingSpaces().lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0", "": return false
        default: return nil
        }
    }

    /// `groupIds` cells hold ids separated by `;`.
    static func splitGroupIds(_ text: String) -> [String] {
        text.split(separator: ";").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
    }

    /// Refuses what would silently change a value: a NUL (libraries cut the text there, so
    /// `al\0ice` became `al`) and a byte order mark inside the data (an invisible character in an
    /// account; only a BOM at the very start of a file is allowed, and dropped).
    static func checkCharacters(_ cells: [String: String], groupIds: [String]?, file: String, line: Int) throws(DatasetFileError) {
        func check(_ value: String, column: String) throws(DatasetFileError) {
            // Fast path: neither a 0x00 nor a 0xEF byte (which starts U+FEFF) in the UTF-8.
            var value = value
            if value.withUTF8({ !$0.contains { $0 == 0 || $0 == 0xEF } }) { return }
            for scalar in value.unicodeScalars where scalar.value == 0 || scalar.value == 0xFEFF {
                throw DatasetFileError(
                    file: file, line: line,
                    message: scalar.value == 0 ? "column '\(column)' holds a NUL character, which no value may contain" : "column '\(column)' holds a byte order mark (U+FEFF), an invisible character; only the very start of a file may have one")
            }
        }
        for (column, value) in cells { try check(value, column: column) }
        for id in groupIds ?? [] { try check(id, column: "groupIds") }
    }

    static let boolHint = "expected true, false, yes, no, 1, 0 or empty"

    /// Builds one row from its named cells; `place` names where the row came from for messages.
    static func userRow(_ record: DatasetRecord, file: String) throws(DatasetFileError) -> UserRow {
        let cells = record.cells
        let line = record.line
        var row = UserRow(account: cells["account"] ?? "")
        row.name = cells["name"] ?? ""
        row.email = cells["email"] ?? ""
        row.mobile = cells["mobile"] ?? ""
        row.accountType = cells["accountType"] ?? ""
        row.groupIds = record.groupIds ?? splitGroupIds(cells["groupIds"] ?? "")
        row.externalId = cells["externalId"] ?? ""
        if let text = cells["disabled"] {
            guard let value = parseBool(text) else {
                throw DatasetFileError(file: file, line: line, message: "column 'disabled': '\(text)' is not a yes/no value (\(boolHint))")
            }
            row.disabled = value
        }
        row.thirdParty = thirdParty(cells)
        return row
    }

    static func groupRow(_ cells: [String: String]) -> GroupRow {
        GroupRow(
            groupId: cells["groupId"] ?? "", name: cells["name"] ?? "",
            parentGroupId: cells["parentGroupId"] ?? "", externalId: cells["externalId"] ?? "",
            thirdParty: thirdParty(cells))
    }

    /// The `thirdParty.<system>` cells that hold a value, by system.
    static func thirdParty(_ cells: [String: String]) -> [String: String] {
        var map: [String: String] = [:]
        for (column, value) in cells where column.hasPrefix(thirdPartyPrefix) && !value.isEmpty {
            map[String(column.dropFirst(thirdPartyPrefix.count))] = value
        }
        return map
    }

    static func requiredColumn(for kind: DatasetKind) -> String { kind == .users ? "account" : "groupId" }
}
