/// Checks a search filter's text against RFC 4515 the way a server parses it, so that a filter
/// in the config that the server would reject (`filter: daily`, an unbalanced parenthesis, an
/// unescaped `(` in a value) is said at `config validate`, not at 2 a.m. as "Bad search filter".
public enum LDAPFilterSyntax {
    /// What is wrong with the filter, naming the character; nil when it parses.
    public static func problem(_ text: String) -> String? {
        var parser = Parser(Array(text.utf8))
        do throws(Failure) {
            parser.skipSpaces()
            if parser.peek == UInt8(ascii: "(") {
                try parser.filter()
            } else {
                try parser.item(until: nil)  // libldap accepts one bare item: uid=alice
            }
            parser.skipSpaces()
            guard parser.atEnd else { throw parser.failure("text after the end of the filter") }
            return nil
        } catch {
            return "'\(text)' is not an LDAP filter (RFC 4515): \(error.reason) at character \(error.position + 1)"
        }
    }

    struct Failure: Error {
        var reason: String
        var position: Int
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var depth = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        func failure(_ reason: String) -> Failure { Failure(reason: reason, position: index) }

        mutating func skipSpaces() {
            while peek == UInt8(ascii: " ") { index += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
            guard peek == byte else { throw failure("expected \(what)") }
            index += 1
        }

        /// "(" filtercomp ")"
        mutating func filter() throws(Failure) {
            depth += 1
            defer { depth -= 1 }
            guard depth <= 64 else { throw failure("nested more than 64 levels deep") }
            try expect(UInt8(ascii: "("), "'('")
            switch peek {
            case UInt8(ascii: "&"), UInt8(ascii: "|"):
                index += 1
                while peek == UInt8(ascii: "(") { try filter() }  // an empty list is RFC 4526's true/false
            case UInt8(ascii: "!"):
                index += 1
                try filter()
            case nil:
                throw failure("the filter ends inside '('")
            default:
                try item(until: UInt8(ascii: ")"))
            }
            try expect(UInt8(ascii: ")"), "')'")
        }

        /// attr [":dn"] [":" rule] (= | ~= | >= | <= | :=) value — up to `end` (or the end of text).
        mutating func item(until end: UInt8?) throws(Failure) {
            let start = index
            while let byte = peek, isDescriptionByte(byte) || byte == UInt8(ascii: ";") { index += 1 }
            let hasAttribute = index > start
            var extensible = false
            while peek == UInt8(ascii: ":") {
                // :dn, :matchingRule, then ":="
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "=") { extensible = true; break }
                index += 1
                let ruleStart = index
                while let byte = peek, isDescriptionByte(byte) { index += 1 }
                guard index > ruleStart else { throw failure("expected a matching rule or dn after ':'") }
            }
            guard hasAttribute || extensible else { throw failure("expected an attribute name") }
            switch peek {
            case UInt8(ascii: "="):
                index += 1
            case UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "<"):
                guard !extensible else { throw failure("unexpected operator") }
                index += 1
                try expect(UInt8(ascii: "="), "'=' after '~', '>' or '<'")
            case UInt8(ascii: ":"):
                index += 2
            default:
                throw failure(hasAttribute ? "expected '=', '~=', '>=' or '<=' after the attribute name" : "expected an attribute name")
            }
            try value(until: end)
        }

        /// An assertion value: `\XX` escapes; `(`, `)` and NUL must be escaped (`*` is the substring wildcard).
        mutating func value(until end: UInt8?) throws(Failure) {
            while let byte = peek, byte != end {
                switch byte {
                case UInt8(ascii: "\\"):
                    guard index + 2 < bytes.count, isHex(bytes[index + 1]), isHex(bytes[index + 2])
                    else { throw failure("'\\' must be followed by two hex digits") }
                    index += 3
                case UInt8(ascii: "("), UInt8(ascii: ")"):
                    throw failure("'\(Character(UnicodeScalar(byte)))' must be escaped as \\\(byte == UInt8(ascii: "(") ? "28" : "29") in a value")
                case 0:
                    throw failure("a NUL character must be escaped as \\00")
                default:
                    index += 1
                }
            }
            if end != nil && peek == nil { throw failure("the filter ends before its closing ')'") }
        }

        func isDescriptionByte(_ byte: UInt8) -> Bool {
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }

        func isHex(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
        }
    }
}
