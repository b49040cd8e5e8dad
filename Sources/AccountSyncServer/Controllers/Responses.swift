import AccountSyncApp
import Foundation
import HTTPTypes
import Hummingbird

/// JSON answers in the one encoding the CLI uses too (`JSONDocument`).
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        let data = try JSONDocument.encode(value)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(data))))
    }
}

/// The answer to a started run (202): its id and where to follow it.
struct RunStarted: Encodable {
    var id: Int64
    var progress: String
    var run: String

    static func response(_ id: Int64) throws -> Response {
        try JSONResponse.make(RunStarted(id: id, progress: "/api/v1/runs/\(id)/progress", run: "/api/v1/runs/\(id)"), status: .accepted)
    }
}

/// Reads and checks query parameters; a bad one names itself (400).
struct Query {
    let request: Request

    func string(_ name: String) -> String? {
        request.uri.queryParameters.get(name).map { String($0) }
    }

    func int(_ name: String, default value: Int, range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let text = string(name), !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badParameter(name, "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func bool(_ name: String) throws(APIError) -> Bool? {
        guard let text = string(name), !text.isEmpty else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw APIError.badParameter(name, "'\(text)' is not true or false")
        }
    }

    /// An ISO 8601 date-time (`2026-11-24T08:30:00Z`) or a day (`2026-11-24`, UTC).
    func date(_name name: String) throws(APIError) -> Date? {
        guard let text = string(name), !text.isEmpty else { return nil }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: text) { return date }
        throw APIError.badParameter(name, "'\(text)' is not a date-time like 2026-11-24T08:30:00Z or a day like 2026-11-24")
    }

    /// A parameter that must be one of a type's values; nil when absent or empty.
    func choice<T: RawRepresentable & CaseIterable>(_ name: String, of type: T.Type) throws(APIError) -> T? where T.RawValue == String {
        guard let text = string(name), !text.isEmpty else { return nil }
        return try Self.parse(text, name: name, as: type)
    }

    /// One of a type's values, or a 400 naming the parameter and listing the values.
    static func parse<T: RawRepresentable & CaseIterable>(_ text: String, name: String, as type: T.Type) throws(APIError) -> T where T.RawValue == String {
        guard let value = T(rawValue: text) else {
            throw APIError.badParameter(name, "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// Every value of a repeatable parameter (`status=failed&status=success`, or comma-separated).
    func all(_ name: String) -> [String] {
        request.uri.queryParameters.getAll(name).flatMap { $0.split(separator: ",").map(String.init) }
    }
}
