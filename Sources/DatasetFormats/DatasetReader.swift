import Foundation
import SyncCore

/// The rows of one dataset file, of either kind.
public enum DatasetContents: Sendable, Equatable {
    case users([UserRow])
    case groups([GroupRow])

    public var count: Int {
        switch self {
        case .users(let rows): rows.count
        case .groups(let rows): rows.count
        }
    }
}

/// The file formats a dataset can come in.
public enum DatasetFormat: String, Sendable, CaseIterable {
    case csv
    case jsonLines = "jsonl"

    /// The format a file name's extension says (`.csv`, `.jsonl`/`.ndjson`), or nil.
    public init?(fileName: String) {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".csv") {
            self = .csv
        } else if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
            self = .jsonLines
        } else {
            return nil
        }
    }
}

/// One record of a dataset file: its line, its cells, and (JSON Lines) its group ids as the list
/// they were given as.
struct DatasetRecord {
    var line: Int
    var groupIds: [String]?
    /// A CSV record's cells are its fields, placed by the header (no dictionary a row: a million
    /// rows); a JSON Lines record's are by name, as each line names its own. Kept as two stored
    /// properties, not as an enum's payloads: reading a cell out of an enum retained and released
    /// the fields and the header each time, a tenth of a million-row import.
    private let fields: [String]
    private let header: HeaderColumns?
    private let named: [String: String]

    init(line: Int, fields: [String], header: HeaderColumns) {
        self.line = line
        self.fields = fields
        self.header = header
        named = [:]
    }

    init(line: Int, named: [String: String], groupIds: [String]?) {
        self.line = line
        self.groupIds = groupIds
        self.named = named
        fields = []
        header = nil
    }

    /// The cell of the canonical column `name`, number `ordinal` of the kind's columns
    /// (`DatasetColumns.users` or `.groups`); nil when absent.
    subscript(ordinal: Int, named name: String) -> String? {
        guard let header else { return named[name] }
        guard let slot = header.slots[ordinal] else { return nil }
        return fields[slot]
    }

    /// The `thirdParty.<system>` cells that hold a value, by system.
    var thirdParty: [String: String] {
        var map: [String: String] = [:]
        if let header {
            for (system, position) in header.thirdParty where !fields[position].isEmpty { map[system] = fields[position] }
        } else {
            for (column, value) in named where column.hasPrefix(DatasetColumns.thirdPartyPrefix) && !value.isEmpty {
                map[String(column.dropFirst(DatasetColumns.thirdPartyPrefix.count))] = value
            }
        }
        return map
    }

    /// Every cell with its column, for checks that look at all of them.
    func forEachCell(_ body: (_ column: String, _ value: String) throws(DatasetFileError) -> Void) throws(DatasetFileError) {
        if let header {
            for index in fields.indices { try body(header.names[index], fields[index]) }
        } else {
            for (column, value) in named { try body(column, value) }
        }
    }
}

/// A CSV header's canonical column names, and where each column sits, worked out once a file.
final class HeaderColumns: Sendable {
    let names: [String]
    /// Where each canonical column of the kind sits (by its number in `DatasetColumns.names`).
    let slots: [Int?]
    /// Each `thirdParty.<system>` column: the system and the field's position.
    let thirdParty: [(system: String, position: Int)]

    init(_ names: [String], kind: DatasetKind) {
        self.names = names
        slots = DatasetColumns.names(for: kind).map { names.firstIndex(of: $0) }
        thirdParty = names.enumerated().compactMap { index, name in
            name.hasPrefix(DatasetColumns.thirdPartyPrefix) ? (String(name.dropFirst(DatasetColumns.thirdPartyPrefix.count)), index) : nil
        }
    }
}

/// Reads a user or group dataset from CSV or JSON Lines bytes. A malformed file is refused whole
/// with `file:line` and what is wrong; nothing is half-read.
public struct DatasetReader: Sendable {
    public let kind: DatasetKind

    public init(kind: DatasetKind) {
        self.kind = kind
    }

    /// Reads the file at `path`, choosing the format from its extension.
    public func read(path: String) throws(DatasetFileError) -> DatasetContents {
        var collected = DatasetRowBatch(kind: kind)
        try stream(path: path, batchSize: .max) { collected.add($0) }
        return collected.contents
    }

    public func read(bytes: [UInt8], file: String, format: DatasetFormat) throws(DatasetFileError) -> DatasetContents {
        var collected = DatasetRowBatch(kind: kind)
        try stream(bytes: bytes, file: file, format: format, batchSize: .max) { collected.add($0) }
        return collected.contents
    }

    /// Reads the file at `path` (mapped, not loaded) and hands its rows to `body` in batches of
    /// `batchSize`, in file order, as they are read: a million rows never sit in memory at once.
    /// A malformed file throws at its first bad line; `body` may already have had earlier
    /// batches, so a caller that stores them does so in a transaction it can roll back.
    public func stream(path: String, batchSize: Int = 10_000, _ body: (DatasetContents) throws(DatasetFileError) -> Void) throws(DatasetFileError) {
        guard let format = DatasetFormat(fileName: path) else {
            throw DatasetFileError(file: path, line: nil, message: "unknown file type; use a .csv or .jsonl file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw DatasetFileError(file: path, line: nil, message: exists ? "cannot be read (permissions?)" : "no such file")
        }
        try Self.withBytes(data) { (bytes) throws(DatasetFileError) in
            try stream(buffer: bytes, file: path, format: format, batchSize: batchSize, body)
        }
    }

    /// `stream(path:)` for bytes already in memory (an upload).
    public func stream(bytes: [UInt8], file: String, format: DatasetFormat, batchSize: Int = 10_000, _ body: (DatasetContents) throws(DatasetFileError) -> Void) throws(DatasetFileError) {
        try Self.withBytes(bytes) { (buffer) throws(DatasetFileError) in
            try stream(buffer: buffer, file: file, format: format, batchSize: batchSize, body)
        }
    }

    /// `withUnsafeBytes` with the reader's typed error.
    private static func withBytes(_ bytes: some ContiguousBytes, _ body: (UnsafeRawBufferPointer) throws(DatasetFileError) -> Void) throws(DatasetFileError) {
        let failure: DatasetFileError? = bytes.withUnsafeBytes { buffer in
            do throws(DatasetFileError) {
                try body(buffer)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    private func stream(
        buffer: UnsafeRawBufferPointer, file: String, format: DatasetFormat, batchSize: Int, _ body: (DatasetContents) throws(DatasetFileError) -> Void
    ) throws(DatasetFileError) {
        var batch = DatasetRowBatch(kind: kind)
        let add = { (record: DatasetRecord) throws(DatasetFileError) in
            try batch.add(record, file: file)
            if batch.count >= batchSize {
                try body(batch.contents)
                batch = DatasetRowBatch(kind: kind)
            }
        }
        switch format {
        case .csv: try csvRecords(buffer, file: file, add)
        case .jsonLines: try jsonLinesRecords(buffer, file: file, add)
        }
        if batch.count > 0 { try body(batch.contents) }
    }

    private func csvRecords(_ bytes: UnsafeRawBufferPointer, file: String, _ body: (DatasetRecord) throws(DatasetFileError) -> Void) throws(DatasetFileError) {
        var columns: HeaderColumns?
        var sawHeader = false
        try CSVReader(file: file).forEachRecord(bytes) { (record) throws(DatasetFileError) in
            guard let columns else {
                sawHeader = true
                columns = HeaderColumns(try self.columns(of: record, file: file), kind: kind)
                return
            }
            guard record.fields.count == columns.names.count else {
                throw DatasetFileError(file: file, line: record.line, message: "\(record.fields.count) fields, but the header has \(columns.names.count) columns (an unquoted comma?)")
            }
            let record = DatasetRecord(line: record.line, fields: record.fields, header: columns)
            try DatasetColumns.checkCharacters(record, file: file)
            try body(record)
        }
        guard sawHeader else {
            throw DatasetFileError(file: file, line: nil, message: "the file is empty; it needs a header row naming the columns (\(DatasetColumns.names(for: kind).joined(separator: ",")))")
        }
    }

    /// The canonical column names of a CSV header, checked.
    private func columns(of header: CSVReader.Record, file: String) throws(DatasetFileError) -> [String] {
        var columns: [String] = []
        var seen = Set<String>()
        for cell in header.fields {
            guard let name = DatasetColumns.canonical(cell, kind: kind) else {
                throw DatasetFileError(file: file, line: header.line, message: "unknown column '\(cell)' for a \(kind.rawValue) dataset; the columns are \(columnList)")
            }
            if !seen.insert(name).inserted {
                throw DatasetFileError(file: file, line: header.line, message: "column '\(name)' appears twice in the header")
            }
            columns.append(name)
        }
        let required = DatasetColumns.requiredColumn(for: kind)
        guard columns.contains(required) else {
            throw DatasetFileError(file: file, line: header.line, message: "the header has no '\(required)' column (is this a \(kind.rawValue) dataset?)")
        }
        return columns
    }

    private func jsonLinesRecords(_ bytes: UnsafeRawBufferPointer, file: String, _ body: (DatasetRecord) throws(DatasetFileError) -> Void) throws(DatasetFileError) {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0  // only here: a BOM elsewhere is refused
        var lineNumber = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            lineNumber += 1
            if let record = try jsonLinesRecord(Array(bytes[start..<end])[...], file: file, line: lineNumber) { try body(record) }
            start = end + 1
        }
    }

    /// One JSON Lines line as a record; nil for a blank line.
    func jsonLinesRecord(_ lineBytes: ArraySlice<UInt8>, file: String, line lineNumber: Int) throws(DatasetFileError) -> DatasetRecord? {
        if lineBytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        var parser = JSONLineParser(lineBytes)
        let fields: [(key: String, value: JSONValue)]
        do {
            fields = try parser.object()
        } catch {
            throw DatasetFileError(file: file, line: lineNumber, message: error.message)
        }
        let (cells, groupIds) = try cells(of: fields, file: file, line: lineNumber)
        let record = DatasetRecord(line: lineNumber, named: cells, groupIds: groupIds)
        try DatasetColumns.checkCharacters(record, file: file)
        return record
    }

    /// The line's cells by column, and its group ids when given as a JSON array (kept as a list,
    /// so an id holding ';' stays one id).
    private func cells(of fields: [(key: String, value: JSONValue)], file: String, line: Int) throws(DatasetFileError) -> ([String: String], [String]?) {
        var cells: [String: String] = [:]
        var groupIds: [String]?
        func set(_ column: String, _ value: String, key: String) throws(DatasetFileError) {
            // "account" and "Account", or thirdParty {hr: …} and "thirdParty.hr", name one column.
            guard cells[column] == nil else {
                throw DatasetFileError(file: file, line: line, message: "'\(key)' gives the field '\(column)' a second time; which one is meant cannot be known")
            }
            cells[column] = value
        }
        for (key, value) in fields {
            if key == "thirdParty" {
                guard case .object(let map) = value else {
                    throw DatasetFileError(file: file, line: line, message: "'thirdParty' must be an object of system → account id")
                }
                for (system, id) in map {
                    try set(DatasetColumns.thirdPartyPrefix + system, try text(id, key: "thirdParty.\(system)", file: file, line: line), key: "thirdParty.\(system)")
                }
                continue
            }
            guard let column = DatasetColumns.canonical(key, kind: kind) else {
                throw DatasetFileError(file: file, line: line, message: "unknown field '\(key)' for a \(kind.rawValue) dataset; the fields are \(columnList)")
            }
            switch (column, value) {
            case ("groupIds", .array(let list)):
                var ids: [String] = []
                for id in list { ids.append(try text(id, key: key, file: file, line: line)) }
                try set(column, "", key: key)
                groupIds = ids.map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
            case ("disabled", .bool(let flag)):
                try set(column, flag ? "true" : "false", key: key)
            default:
                try set(column, try text(value, key: key, file: file, line: line), key: key)
            }
        }
        return (cells, groupIds)
    }

    private func text(_ value: JSONValue, key: String, file: String, line: Int) throws(DatasetFileError) -> String {
        switch value {
        case .string(let string): return string
        case .null: return ""
        case .number(let number): return number  // as written: 1.50 stays 1.50
        default: throw DatasetFileError(file: file, line: line, message: "field '\(key)' must be a string, not \(JSONLineParser.describe(value))")
        }
    }

    private var columnList: String {
        DatasetColumns.names(for: kind).joined(separator: ", ") + ", thirdParty.<system>"
    }
}

/// Rows being gathered from a dataset file's records: of users or of groups, by the reader's kind.
struct DatasetRowBatch {
    var users: [UserRow] = []
    var groups: [GroupRow] = []
    let kind: DatasetKind

    init(kind: DatasetKind) { self.kind = kind }

    var count: Int { users.count + groups.count }
    var contents: DatasetContents { kind == .users ? .users(users) : .groups(groups) }

    mutating func add(_ record: DatasetRecord, file: String) throws(DatasetFileError) {
        if kind == .users { users.append(try DatasetColumns.userRow(record, file: file)) } else { groups.append(DatasetColumns.groupRow(record)) }
    }

    mutating func add(_ contents: DatasetContents) {
        switch contents {
        case .users(let rows): users += rows
        case .groups(let rows): groups += rows
        }
    }
}
