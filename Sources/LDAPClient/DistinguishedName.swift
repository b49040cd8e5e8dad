/// A distinguished name parsed per RFC 4514: `CN=Smith\, John,OU=Sales+L=Paris,DC=example,DC=com`.
///
/// Attribute types compare case-insensitively; values compare after unescaping (`\,`, `\2C` and a
/// literal comma are the same), case-insensitively, ignoring leading and trailing spaces. This is
/// what directories do for the naming attributes in practice (cn, ou, dc, uid: caseIgnoreMatch).
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
    /// One `type=value` of an RDN.
    public struct Attribute: Sendable, Hashable {
        public var type: String
        public var value: String

        public init(type: String, value: String) {
            self.type = type
            self.value = value
        }
    }

    /// The RDNs, most specific first; each has one or more attributes (`OU=Sales+L=Paris`).
    public private(set) var rdns: [[Attribute]]
    /// Each RDN in canonical form, computed once (DNs are compared and hashed a lot in a pull).
    private var normalizedRDNs: [String]

    public init(rdns: [[Attribute]]) {
        self.rdns = rdns
        normalizedRDNs = rdns.map(Self.normalize)
    }

    /// Parses an RFC 4514 string; throws a message naming the position of the problem.
    public init(_ text: String) throws(DNParseError) {
        var parser = DNParser(text)
        self.init(rdns: try parser.parse())
    }

    /// Parses a DN the way a directory server reads a stored DN value (a `member`): RFC 4514 plus
    /// LDAPv2's quoted values (`cn="Smith, John",ou=People`) and unescaped `<` and `>`. Strict
    /// parsing (`init(_:)`) stays for the DNs of our own config.
    public init(lenient text: String) throws(DNParseError) {
        var parser = DNParser(text, lenient: true)
        self.init(rdns: try parser.parse())
    }

    /// The canonical form of `text` read leniently (as `DistinguishedName(lenient:).normalized`),
    /// without building the RDNs when `text` is plain: ASCII `type=value` pairs joined by commas,
    /// values of letters, digits, `.`, `_`, `@`, `-` and inner spaces. Such a DN's canonical form
    /// is its lowercase text (a pull normalises a million user DNs; parsing each was a fifth of it).
    public static func normalizedText(lenient text: String) throws(DNParseError) -> String {
        if isPlain(text) { return text.lowercased() }
        return try DistinguishedName(lenient: text).normalized
    }

    /// A digest of normalized DN text (FNV-1a over its bytes), for sets that answer "might this DN
    /// be one of them?" without comparing strings.
    public static func digest(ofNormalized text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { fnv1a($0) { $0 } }
    }

    /// `digest(ofNormalized:)` of the DN's normalized text, made from its bytes without building
    /// that text: a plain DN's normalized text is its lowercased text. Nil for a DN that is not
    /// plain (normalize it instead).
    public static func normalizedDigest(ofPlain text: String) -> UInt64? {
        var text = text
        return text.withUTF8 { bytes in
            guard isPlain(bytes) else { return nil }
            return fnv1a(bytes) { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        }
    }

    /// FNV-1a over the bytes, each as `transform` gives it.
    private static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>, _ transform: (UInt8) -> UInt8) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64(transform($1))) &* 0x100_0000_01b3 }
    }

    private static func isPlain(_ text: String) -> Bool {
        var text = text
        return text.withUTF8(isPlain)
    }

    private static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var inType = true
        var start = true  // at the first byte of a type or value
        var last: UInt8 = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): break
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): if inType && start { return false }
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "@"): if inType { return false }
            case UInt8(ascii: " "): if inType || start { return false }
            case UInt8(ascii: "="):
                if !inType || start { return false }
                inType = false
                start = true
                last = byte
                continue
            case UInt8(ascii: ","):
                if inType || start || last == UInt8(ascii: " ") { return false }
                inType = true
                start = true
                last = byte
                continue
            default: return false
            }
            start = false
            last = byte
        }
        return !inType && !start && last != UInt8(ascii: " ")
    }

    /// The DN part of a Name and Optional UID value (`uniqueMember`, RFC 4517 3.3.21): the text
    /// without its optional trailing `#'0101'B` bit string.
    public static func withoutOptionalUID(_ text: String) -> String {
        guard text.hasSuffix("'B"), let hash = text.lastIndex(of: "#") else { return text }
        let bits = text[text.index(after: hash)...]
        guard bits.count >= 3, bits.first == "'", bits.dropFirst().dropLast(2).allSatisfy({ $0 == "0" || $0 == "1" }) else { return text }
        // A '#' escaped by a backslash belongs to the value.
        let before = text[..<hash]
        let backslashes = before.reversed().prefix { $0 == "\\" }.count
        return backslashes % 2 == 0 ? String(before) : text
    }

    private init(rdns: ArraySlice<[Attribute]>, normalizedRDNs: ArraySlice<String>) {
        self.rdns = Array(rdns)
        self.normalizedRDNs = Array(normalizedRDNs)
    }

    private static func normalize(_ rdn: [Attribute]) -> String {
        if rdn.count == 1 { return rdn[0].type.lowercased() + "=" + escape(rdn[0].value.trimmingSpaces().lowercased()) }
        return rdn.map { "\($0.type.lowercased())=\(escape($0.value.trimmingSpaces().lowercased()))" }.sorted().joined(separator: "+")
    }

    /// The empty DN (the root DSE).
    public static let root = DistinguishedName(rdns: [])

    public var isRoot: Bool { rdns.isEmpty }

    /// The DN without its first RDN; the root's parent is the root.
    public var parent: DistinguishedName {
        DistinguishedName(rdns: rdns.dropFirst(), normalizedRDNs: normalizedRDNs.dropFirst())
    }

    /// The first RDN's first value (`Sales` of `OU=Sales,DC=example`).
    public var leafValue: String? { rdns.first?.first?.value }

    /// True when this DN is `other` or lies below it.
    public func isWithin(_ other: DistinguishedName) -> Bool {
        guard rdns.count >= other.rdns.count else { return false }
        return Array(normalizedRDNs.suffix(other.rdns.count)) == other.normalizedRDNs
    }

    /// The canonical form used for comparison and hashing.
    public var normalized: String {
        normalizedRDNs.joined(separator: ",")
    }

    public static func == (lhs: DistinguishedName, rhs: DistinguishedName) -> Bool {
        lhs.normalized == rhs.normalized
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(normalized)
    }

    /// The RFC 4514 string, values escaped where they must be.
    public var description: String {
        rdns.map { rdn in rdn.map { "\($0.type)=\(Self.escape($0.value))" }.joined(separator: "+") }.joined(separator: ",")
    }

    /// Escapes a value for a DN string (RFC 4514 section 2.4).
    public static func escape(_ value: String) -> String {
        let needsNothing = value.utf8.withContiguousStorageIfAvailable { bytes in
            guard let first = bytes.first, let last = bytes.last, first != 0x20, first != 0x23, last != 0x20 else { return bytes.isEmpty }
            return !bytes.contains { [0x2C, 0x2B, 0x22, 0x5C, 0x3C, 0x3E, 0x3B, 0x3D, 0x00].contains($0) }
        } ?? false
        if needsNothing { return value }
        var result = ""
        let scalars = Array(value.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case ",", "+", "\"", "\\", "<", ">", ";", "=":
                result += "\\"
                result.unicodeScalars.append(scalar)
            case "\0":
                result += "\\00"
            case " " where index == 0 || index == scalars.count - 1:
                result += "\\ "
            case "#" where index == 0:
                result += "\\#"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// Why a DN string could not be parsed.
public struct DNParseError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var position: Int
    public var reason: String

    public var description: String { "invalid DN '\(text)' at character \(position + 1): \(reason)" }
}

/// The RFC 4514 grammar, over UTF-8 bytes.
private struct DNParser {
    let text: String
    let bytes: [UInt8]
    /// Accept what servers accept in stored values: LDAPv2 quoted values, unescaped `<` `>`.
    let lenient: Bool
    var index = 0

    init(_ text: String, lenient: Bool = false) {
        self.text = text
        self.lenient = lenient
        bytes = Array(text.utf8)
    }

    mutating func parse() throws(DNParseError) -> [[DistinguishedName.Attribute]] {
        // libldap reads a C string: text after a NUL would silently not be there.
        if let nul = bytes.firstIndex(of: 0) {
            index = nul
            throw failure("a NUL character (it would cut the DN short)")
        }
        skipSpaces()
        if index == bytes.count { return [] }
        var rdns: [[DistinguishedName.Attribute]] = []
        var rdn: [DistinguishedName.Attribute] = []
        while true {
            skipSpaces()
            let type = try attributeType()
            skipSpaces()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw failure("expected '=' after '\(type)'") }
            index += 1
            skipSpaces()
            rdn.append(DistinguishedName.Attribute(type: type, value: try attributeValue()))
            if index == bytes.count {
                rdns.append(rdn)
                return rdns
            }
            switch bytes[index] {
            case UInt8(ascii: "+"):
                index += 1
            case UInt8(ascii: ","), UInt8(ascii: ";"):
                index += 1
                rdns.append(rdn)
                rdn = []
            default:
                throw failure("expected ',' or '+' after a value")
            }
        }
    }

    private mutating func attributeType() throws(DNParseError) -> String {
        let start = index
        while index < bytes.count, isTypeByte(bytes[index]) { index += 1 }
        guard index > start else { throw failure("expected an attribute type") }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private func isTypeByte(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    private mutating func attributeValue() throws(DNParseError) -> String {
        if index < bytes.count, bytes[index] == UInt8(ascii: "#") {
            // A BER-encoded value: keep its hex form as the value.
            let start = index
            index += 1
            while index < bytes.count, hexValue(bytes[index]) != nil { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            guard lenient else { throw failure("quoted values are not RFC 4514; escape the special characters with '\\' instead") }
            return try quotedValue()
        }
        var value: [UInt8] = []
        var trailingUnescapedSpaces = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ";") { break }
            if byte == UInt8(ascii: "\\") {
                index += 1
                guard index < bytes.count else { throw failure("a '\\' at the end of the DN") }
                if let high = hexValue(bytes[index]) {
                    guard index + 1 < bytes.count, let low = hexValue(bytes[index + 1]) else {
                        throw failure("'\\' must be followed by two hex digits or a special character")
                    }
                    value.append(high << 4 | low)
                    index += 2
                } else if DNParser.escapable.contains(bytes[index]) {
                    value.append(bytes[index])
                    index += 1
                } else {
                    throw failure("a backslash must be followed by two hex digits or one of the characters that need escaping (space, quote, # + , ; < = > and backslash)")
                }
                trailingUnescapedSpaces = 0
                continue
            }
            // RFC 4514's stringchar allows '=' unescaped (`ou=R=D`); '<', '>' and '"' must be escaped,
            // though servers accept them in stored values.
            if !lenient && (byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "\"")) {
                throw failure("'\(Character(UnicodeScalar(byte)))' must be escaped in a value")
            }
            trailingUnescapedSpaces = byte == UInt8(ascii: " ") ? trailingUnescapedSpaces + 1 : 0
            value.append(byte)
            index += 1
        }
        value.removeLast(trailingUnescapedSpaces)
        guard let text = String(validating: value, as: UTF8.self) else { throw failure("the value is not valid UTF-8") }
        return text
    }

    /// An LDAPv2 quoted value (RFC 1779): everything up to the closing quote, `\"` and `\\` escaped.
    private mutating func quotedValue() throws(DNParseError) -> String {
        index += 1
        var value: [UInt8] = []
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                index += 1
            }
            value.append(bytes[index])
            index += 1
        }
        guard index < bytes.count else { throw failure("a quoted value has no closing quote") }
        index += 1
        skipSpaces()
        guard let text = String(validating: value, as: UTF8.self) else { throw failure("the value is not valid UTF-8") }
        return text
    }

    /// The characters RFC 4514 lets a backslash escape directly.
    static let escapable: Set<UInt8> = Set(" \"#+,;<=>\\".utf8)

    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    private mutating func skipSpaces() {
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
    }

    private func failure(_ reason: String) -> DNParseError {
        DNParseError(text: text, position: index, reason: reason)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
