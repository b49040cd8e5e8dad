import SyncCore

/// The columns of each dataset kind (DESIGN.md's dataset contract) and how a cell becomes a value.
enum DatasetColumns {
    /// The columns in the contract's order; rows are read by these numbers.
    enum UserColumn: Int, CaseIterable { case account, name, email, mobile, accountType, groupIds, disabled, externalId }
    enum GroupColumn: Int, CaseIterable { case groupId, name, parentGroupId, externalId }

    static let users = UserColumn.allCases.map { "\($0)" }
    static let groups = GroupColumn.allCases.map { "\($0)" }
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
        if !text.utf8.contains(UInt8(ascii: ";")) {  // one id or none (most rows): no split
            let id = text.trimmingSpaces()
            return id.isEmpty ? [] : [id]
        }
        return text.split(separator: ";").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
    }

    /// Refuses what would silently change a value: a NUL (libraries cut the text there, so
    /// `al\0ice` became `al`) and a byte order mark inside the data (an invisible character in an
    /// account; only a BOM at the very start of a file is allowed, and dropped).
    static func checkCharacters(_ record: DatasetRecord, file: String) throws(DatasetFileError) {
        let line = record.line
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
        try record.forEachCell { (column, value) throws(DatasetFileError) in try check(value, column: column) }
        for id in record.groupIds ?? [] { try check(id, column: "groupIds") }
    }

    static let boolHint = "expected true, false, yes, no, 1, 0 or empty"

    /// Builds one row from its cells; a bad `disabled` value is refused with `file` and the line.
    static func userRow(_ record: DatasetRecord, file: String) throws(DatasetFileError) -> UserRow {
        func cell(_ column: UserColumn) -> String? { record[column.rawValue, named: users[column.rawValue]] }
        var row = UserRow(account: cell(.account) ?? "")
        row.name = cell(.name) ?? ""
        row.email = cell(.email) ?? ""
        row.mobile = cell(.mobile) ?? ""
        row.accountType = cell(.accountType) ?? ""
        row.groupIds = record.groupIds ?? splitGroupIds(cell(.groupIds) ?? "")
        row.externalId = cell(.externalId) ?? ""
        if let text = cell(.disabled) {
            guard let value = parseBool(text) else {
                throw DatasetFileError(file: file, line: record.line, message: "column 'disabled': '\(text)' is not a yes/no value (\(boolHint))")
            }
            row.disabled = value
        }
        row.thirdParty = record.thirdParty
        return row
    }

    /// Builds one group row from its cells.
    static func groupRow(_ record: DatasetRecord) -> GroupRow {
        func cell(_ column: GroupColumn) -> String { record[column.rawValue, named: groups[column.rawValue]] ?? "" }
        return GroupRow(
            groupId: cell(.groupId), name: cell(.name), parentGroupId: cell(.parentGroupId), externalId: cell(.externalId), thirdParty: record.thirdParty)
    }

    static func requiredColumn(for kind: DatasetKind) -> String { kind == .users ? "account" : "groupId" }
}
