/// What an administrator needs to know about a server certificate: whom it names, who signed it
/// and when it expires. Read from the DER bytes with a minimal parser (no X.509 validation here;
/// libldap's TLS library validates).
public struct CertificateSummary: Sendable, Equatable, CustomStringConvertible {
    public var subject: String
    public var issuer: String
    /// `YYYY-MM-DD HH:MM:SS UTC`.
    public var notAfter: String

    public var description: String { "\(subject), issued by \(issuer), expires \(notAfter)" }

    /// Parses a DER-encoded X.509 certificate; nil when the bytes are not one.
    public init?(der bytes: [UInt8]) {
        var outer = DERReader(bytes[...])
        guard let certificate = outer.read(tag: 0x30) else { return nil }
        var certificateReader = DERReader(certificate)
        guard let tbs = certificateReader.read(tag: 0x30) else { return nil }
        var fields = DERReader(tbs)
        if fields.peekTag == 0xA0 { _ = fields.read(tag: 0xA0) }  // version
        guard fields.read(tag: 0x02) != nil,  // serial number
            fields.read(tag: 0x30) != nil,  // signature algorithm
            let issuer = fields.read(tag: 0x30),
            let validity = fields.read(tag: 0x30),
            let subject = fields.read(tag: 0x30)
        else { return nil }
        var times = DERReader(validity)
        _ = times.readAny()
        guard let (tag, notAfter) = times.readAny(), let expiry = Self.time(tag: tag, notAfter) else { return nil }
        self.subject = Self.name(subject)
        self.issuer = Self.name(issuer)
        self.notAfter = expiry
    }

    private static let attributeNames: [String: String] = [
        "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
        "0.9.2342.19200300.100.1.25": "DC", "1.2.840.113549.1.9.1": "emailAddress",
    ]

    /// An X.501 Name in RFC 4514 order (most specific first).
    private static func name(_ bytes: ArraySlice<UInt8>) -> String {
        var rdns: [String] = []
        var sets = DERReader(bytes)
        while let set = sets.read(tag: 0x31) {
            var pairs = DERReader(set)
            var parts: [String] = []
            while let pair = pairs.read(tag: 0x30) {
                var reader = DERReader(pair)
                guard let oid = reader.read(tag: 0x06), let (_, value) = reader.readAny() else { continue }
                let type = attributeNames[objectIdentifier(oid)] ?? objectIdentifier(oid)
                parts.append("\(type)=\(DistinguishedName.escape(String(decoding: value, as: UTF8.self)))")
            }
            rdns.append(parts.joined(separator: "+"))
        }
        return rdns.reversed().joined(separator: ",")
    }

    private static func objectIdentifier(_ bytes: ArraySlice<UInt8>) -> String {
        guard let first = bytes.first else { return "" }
        var parts = [String(first / 40), String(first % 40)]
        var value = 0
        for byte in bytes.dropFirst() {
            value = value << 7 | Int(byte & 0x7F)
            if byte & 0x80 == 0 {
                parts.append(String(value))
                value = 0
            }
        }
        return parts.joined(separator: ".")
    }

    /// UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as `YYYY-MM-DD HH:MM:SS UTC`.
    private static func time(tag: UInt8, _ bytes: ArraySlice<UInt8>) -> String? {
        var text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("Z") else { return nil }
        text.removeLast()
        if tag == 0x17, text.count == 12 {
            let year = Int(text.prefix(2)) ?? 0
            text = (year < 50 ? "20" : "19") + text
        }
        guard tag == 0x17 || tag == 0x18, text.count == 14, text.allSatisfy(\.isNumber) else { return nil }
        let d = Array(text)
        return "\(String(d[0..<4]))-\(String(d[4..<6]))-\(String(d[6..<8])) \(String(d[8..<10])):\(String(d[10..<12])):\(String(d[12..<14])) UTC"
    }
}

/// Reads DER tag-length-value items one after another.
struct DERReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    var peekTag: UInt8? { bytes.first }

    /// The next item's value if its tag is `tag`.
    mutating func read(tag: UInt8) -> ArraySlice<UInt8>? {
        guard peekTag == tag, let (_, value) = readAny() else { return nil }
        return value
    }

    mutating func readAny() -> (UInt8, ArraySlice<UInt8>)? {
        guard bytes.count >= 2 else { return nil }
        var index = bytes.startIndex
        let tag = bytes[index]
        index += 1
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count > 0, count <= 4, bytes.endIndex - index >= count else { return nil }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard bytes.endIndex - index >= length else { return nil }
        let value = bytes[index..<(index + length)]
        bytes = bytes[(index + length)...]
        return (tag, value)
    }
}
