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

/// One record of a dataset file: its line, its cells by column, and (JSON Lines) its group ids as
/// the list they were given as.
struct DatasetRecord {
    var line: Int
    var cells: [String: String]
    var groupIds: [String]? = nil
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
        guard let format = DatasetFormat(fileName: path) else {
            throw DatasetFileError(file: path, line: nil, message: "unknown file type; use a .csv or .jsonl file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw DatasetFileError(file: path, line: nil, message: exists ? "cannot be read (permissions?)" : "no such file")
        }
        return try read(bytes: [UInt8](data), file: path, format: format)
    }

    public func read(bytes: [UInt8], file: String, format: DatasetFormat) throws(DatasetFileError) -> DatasetContents {
        let table = switch format {
        case .csv: try csvTable(bytes, file: file)
        case .jsonLines: try jsonLinesTable(bytes, file: file)
        }
        switch kind {
        case .users:
            var rows: [UserRow] = []
            rows.reserveCapacity(table.count)
            for record in table { rows.append(try DatasetColumns.userRow(record, file: file)) }
            return .users(rows)
        case .groups:
            return .groups(table.map { DatasetColumns.groupRow($0.cells) })
        }
    }

    private func csvTable(_ bytes: [UInt8], file: String) throws(DatasetFileError) -> [DatasetRecord] {
        let records = try CSVReader(file: file).records(bytes)
        guard let header = records.first else {
            throw DatasetFileError(file: file, line: nil, message: "the file is empty; it needs a header row naming the columns (\(DatasetColumns.names(for: kind).joined(separator: ",")))")
        }
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
        var table: [DatasetRecord] = []
        table.reserveCapacity(records.count - 1)
        for record in records.dropFirst() {
            guard record.fields.count == columns.count else {
                throw DatasetFileError(file: file, line: record.line, message: "\(record.fields.count) fields, but the header has \(columns.count) columns (an unquoted comma?)")
            }
            let cells = Dictionary(uniqueKeysWithValues: zip(columns, record.fields))
            try DatasetColumns.checkCharacters(cells, groupIds: nil, file: file, line: record.line)
            table.append(DatasetRecord(line: record.line, cells: cells))
        }
        return table
    }

    private func jsonLinesTable(_ bytes: [UInt8], file: String) throws(DatasetFileError) -> [DatasetRecord] {
        var table: [DatasetRecord] = []
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }  // only here: a BOM elsewhere is refused
        var lineNumber = 0
        for lineBytes in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if let record = try jsonLinesRecord(lineBytes, file: file, line: lineNumber) { table.append(record) }
        }
        return table
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
        try DatasetColumns.checkCharacters(cells, groupIds: groupIds, file: file, line: lineNumber)
        return DatasetRecord(line: lineNumber, cells: cells, groupIds: groupIds)
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
