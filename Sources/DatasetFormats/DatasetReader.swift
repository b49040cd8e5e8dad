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
            for (line, cells) in table { rows.append(try DatasetColumns.userRow(cells, file: file, line: line)) }
            return .users(rows)
        case .groups:
            return .groups(table.map { DatasetColumns.groupRow($0.cells) })
        }
    }

    private func csvTable(_ bytes: [UInt8], file: String) throws(DatasetFileError) -> [(line: Int, cells: [String: String])] {
        let records = try CSVReader(file: file).records(bytes)
        guard let header = records.first else {
            throw DatasetFileError(file: file, line: nil, message: "the file is empty; it needs a header row naming the columns (\(DatasetColumns.names(for: kind).joined(separator: ",")))")
        }
        var columns: [String] = []
        for cell in header.fields {
            guard let name = DatasetColumns.canonical(cell, kind: kind) else {
                throw DatasetFileError(file: file, line: header.line, message: "unknown column '\(cell)' for a \(kind.rawValue) dataset; the columns are \(columnList)")
            }
            if columns.contains(name) {
                throw DatasetFileError(file: file, line: header.line, message: "column '\(name)' appears twice in the header")
            }
            columns.append(name)
        }
        let required = DatasetColumns.requiredColumn(for: kind)
        guard columns.contains(required) else {
            throw DatasetFileError(file: file, line: header.line, message: "the header has no '\(required)' column (is this a \(kind.rawValue) dataset?)")
        }
        var table: [(line: Int, cells: [String: String])] = []
        table.reserveCapacity(records.count - 1)
        for record in records.dropFirst() {
            guard record.fields.count == columns.count else {
                throw DatasetFileError(file: file, line: record.line, message: "\(record.fields.count) fields, but the header has \(columns.count) columns (an unquoted comma?)")
            }
            table.append((record.line, Dictionary(uniqueKeysWithValues: zip(columns, record.fields))))
        }
        return table
    }

    private func jsonLinesTable(_ bytes: [UInt8], file: String) throws(DatasetFileError) -> [(line: Int, cells: [String: String])] {
        var table: [(line: Int, cells: [String: String])] = []
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        var lineNumber = 0
        for lineBytes in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            guard let text = String(validating: lineBytes, as: UTF8.self) else {
                throw DatasetFileError(file: file, line: lineNumber, message: "not valid UTF-8 (save the file as UTF-8)")
            }
            if text.trimmingSpaces().isEmpty { continue }
            let fields: [String: JSONValue]
            do {
                fields = try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
            } catch DecodingError.typeMismatch {
                throw DatasetFileError(file: file, line: lineNumber, message: "each line must be one JSON object ({\"\(DatasetColumns.requiredColumn(for: kind))\": …})")
            } catch {
                throw DatasetFileError(file: file, line: lineNumber, message: "not valid JSON: \(jsonReason(error))")
            }
            table.append((lineNumber, try cells(of: fields, file: file, line: lineNumber)))
        }
        return table
    }

    private func cells(of fields: [String: JSONValue], file: String, line: Int) throws(DatasetFileError) -> [String: String] {
        var cells: [String: String] = [:]
        for (key, value) in fields {
            if key == "thirdParty" {
                guard case .object(let map) = value else {
                    throw DatasetFileError(file: file, line: line, message: "'thirdParty' must be an object of system → account id")
                }
                for (system, id) in map {
                    cells[DatasetColumns.thirdPartyPrefix + system] = try text(id, key: "thirdParty.\(system)", file: file, line: line)
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
                cells[column] = ids.joined(separator: ";")
            case ("disabled", .bool(let flag)):
                cells[column] = flag ? "true" : "false"
            default:
                cells[column] = try text(value, key: key, file: file, line: line)
            }
        }
        return cells
    }

    private func text(_ value: JSONValue, key: String, file: String, line: Int) throws(DatasetFileError) -> String {
        switch value {
        case .string(let string): return string
        case .null: return ""
        case .number(let number): return number
        default: throw DatasetFileError(file: file, line: line, message: "field '\(key)' must be a string")
        }
    }

    private func jsonReason(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = context.underlyingError.map { "\($0)" } ?? ""
            if let range = underlying.range(of: "NSDebugDescription=") {
                return String(underlying[range.upperBound...].prefix { $0 != "}" && $0 != "," })
            }
            return context.debugDescription
        }
        return "malformed JSON"
    }

    private var columnList: String {
        DatasetColumns.names(for: kind).joined(separator: ", ") + ", thirdParty.<system>"
    }
}

/// Just enough of JSON to read one dataset line and say what type a field has.
enum JSONValue: Decodable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let integer = try? container.decode(Int64.self) {
            self = .number(String(integer))
        } else if let number = try? container.decode(Double.self) {
            self = .number(String(number))
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
