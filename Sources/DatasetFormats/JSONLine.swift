/// One JSON Lines record, parsed by hand so that what a generic decoder hides is seen and said:
/// a key given twice (a dictionary keeps one of them at random), a number's literal text
/// (`12345678901234567890`, `1.50` and `-1e-400` stay as written instead of being rewritten as
/// doubles), a lone surrogate escape, a NUL, and a line that is valid JSON but not an object.
enum JSONValue: Equatable {
    case string(String)
    /// The number exactly as written.
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    /// Keys in the order written; duplicates are refused while parsing.
    case object([(key: String, value: JSONValue)])

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)), (.number(let a), .number(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        default: false
        }
    }
}

/// Why a line could not be read, in words for the admin (the caller adds `file:line`).
struct JSONLineError: Error {
    var message: String
}

/// A recursive-descent JSON parser over one line's bytes (RFC 8259), nesting bounded.
struct JSONLineParser {
    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    private static let maximumDepth = 32

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = Array(bytes)
    }

    /// The line's object, in key order.
    mutating func object() throws(JSONLineError) -> [(key: String, value: JSONValue)] {
        skipSpace()
        guard index < bytes.count else { throw JSONLineError(message: "the line is empty") }
        let value = try parseValue()
        skipSpace()
        guard index == bytes.count else { throw JSONLineError(message: "text after the JSON object at character \(index + 1); each line must hold exactly one object") }
        guard case .object(let fields) = value else {
            throw JSONLineError(message: "the line is \(Self.describe(value)), not an object: each line must be one JSON object ({\"key\": value, …})")
        }
        return fields
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string: "a string"
        case .number(let text): "the number \(text)"
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0D, 0x0A].contains(bytes[index]) { index += 1 }
    }

    private func failure(_ what: String) -> JSONLineError {
        JSONLineError(message: "not valid JSON at character \(index + 1): \(what)")
    }

    private mutating func parseValue() throws(JSONLineError) -> JSONValue {
        skipSpace()
        guard index < bytes.count else { throw failure("the line ends where a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure("unexpected '\(Character(UnicodeScalar(bytes[index])))'")
        }
    }

    private mutating func literal(_ word: String) throws(JSONLineError) {
        let expected = Array(word.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw failure("expected \(word)")
        }
        index += expected.count
    }

    private mutating func nest() throws(JSONLineError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw failure("nested more than \(Self.maximumDepth) levels deep") }
    }

    private mutating func parseObject() throws(JSONLineError) -> JSONValue {
        try nest()
        defer { depth -= 1 }
        index += 1
        var fields: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(fields)
        }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key in double quotes") }
            let key = try parseString()
            guard seen.insert(key).inserted else { throw JSONLineError(message: "the key '\(key)' is given twice; which one is meant cannot be known") }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':' after the key '\(key)'") }
            index += 1
            fields.append((key, try parseValue()))
            skipSpace()
            guard index < bytes.count else { throw failure("the object is not closed with '}'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw failure("expected ',' or '}'") }
            index += 1
            return .object(fields)
        }
    }

    private mutating func parseArray() throws(JSONLineError) -> JSONValue {
        try nest()
        defer { depth -= 1 }
        index += 1
        var values: [JSONValue] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(values)
        }
        while true {
            values.append(try parseValue())
            skipSpace()
            guard index < bytes.count else { throw failure("the array is not closed with ']'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw failure("expected ',' or ']'") }
            index += 1
            return .array(values)
        }
    }

    /// The number's literal text, checked against JSON's grammar.
    private mutating func parseNumber() throws(JSONLineError) -> String {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw failure("a number without digits") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            throw failure("a number without digits")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw failure("a number with no digits after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw failure("a number with no digits in its exponent") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseString() throws(JSONLineError) -> String {
        index += 1
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw failure("a string is not closed with '\"'") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: out, as: UTF8.self) else { throw failure("a string that is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw failure("a '\\' at the end of the line") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw JSONLineError(message: "a lone surrogate escape (\\u\(String(scalar, radix: 16))) is not a character; write the character itself, or its full surrogate pair")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw JSONLineError(message: "a lone surrogate escape (\\u\(String(scalar, radix: 16))) is not a character; write the character itself, or its full surrogate pair")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw JSONLineError(message: "a lone surrogate escape (\\u\(String(scalar, radix: 16))) is not a character; write the character itself, or its full surrogate pair")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw failure("an escape that is not a character") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw failure("an unknown escape '\\\(Character(UnicodeScalar(escape)))'")
                }
            case 0x00..<0x20:
                throw failure("a control character inside a string (escape it, e.g. \\n)")
            default:
                out.append(byte)
                index += 1
            }
        }
    }

    private mutating func hex4() throws(JSONLineError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw failure("\\u needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw failure("\\u needs four hex digits")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
