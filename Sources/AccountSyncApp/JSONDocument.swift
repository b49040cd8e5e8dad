import Foundation

/// The one JSON encoding of the CLI's `--json` and the API: pretty, keys sorted, ISO 8601 dates,
/// so a run reads the same bytes from `history show --json` and `GET /api/v1/runs/{id}`.
public enum JSONDocument {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }
}
