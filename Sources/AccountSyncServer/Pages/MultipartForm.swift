import Foundation
import Hummingbird
import MultipartKit

/// The parts of a `multipart/form-data` body (a form with a file), read with MultipartKit's parser:
/// each part's field name, its file name when it is a file, and its bytes.
struct MultipartForm {
    struct Part {
        var name: String
        var fileName: String?
        var bytes: [UInt8]
    }

    var parts: [Part]

    /// Parses `body`; nil when the content type is not multipart/form-data with a boundary, or the
    /// body does not follow it.
    init?(contentType: String?, body: ByteBuffer) {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = Self.parameter("boundary", in: contentType), !boundary.isEmpty
        else { return nil }
        var parts: [Part] = []
        var headers: [(String, String)] = []
        var bytes: [UInt8] = []
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in headers.append((name, value)) }
        parser.onBody = { buffer in bytes += buffer.readBytes(length: buffer.readableBytes) ?? [] }
        parser.onPartComplete = {
            let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
            parts.append(Part(name: Self.parameter("name", in: disposition) ?? "", fileName: Self.parameter("filename", in: disposition), bytes: bytes))
            headers = []
            bytes = []
        }
        do { try parser.execute(body) } catch { return nil }
        self.parts = parts
    }

    func text(_ name: String) -> String? {
        parts.first { $0.name == name && $0.fileName == nil }.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    func file(_ name: String) -> Part? {
        parts.first { $0.name == name && $0.fileName != nil }
    }

    /// A `key=value` or `key="value"` parameter of a header value.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";") {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}
