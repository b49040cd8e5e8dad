/// How values are compared for uniqueness: accounts and emails case-insensitively, mobiles by digits.
public enum Normalize {
    /// Accounts are unique case-insensitively.
    public static func account(_ value: String) -> String {
        folded(value)
    }

    /// Emails compare lowercased and trimmed.
    public static func email(_ value: String) -> String {
        folded(value)
    }

    /// Trimmed and lowercased; returns the same string, without copying, when it already is (the
    /// common case, which matters at a million rows).
    static func folded(_ value: String) -> String {
        let alreadyFolded = value.utf8.withContiguousStorageIfAvailable { bytes in
            guard let first = bytes.first, let last = bytes.last else { return true }
            if first <= 0x20 || last <= 0x20 { return false }
            return !bytes.contains { $0 >= 0x80 || (0x41...0x5A).contains($0) }
        } ?? false
        return alreadyFolded ? value : value.trimmingSpaces().lowercased()
    }

    /// Mobiles compare as digits with their country code: `+86 138-0013-8000`, `0086 13800138000` and
    /// `+8613800138000` are the same number. A number without `+` or `00` keeps its digits as given.
    public static func mobile(_ value: String) -> String {
        // Already in that form (`+8613800138000`, or digits not starting with 00): the same string.
        let digits = value.utf8.first == UInt8(ascii: "+") ? value.utf8.dropFirst() : value.utf8[...]
        if !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }),
            digits.count != value.utf8.count || !digits.starts(with: [0x30, 0x30])
        {
            return value
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count + 1)
        var sawPlus = false
        for byte in value.utf8 {
            if (0x30...0x39).contains(byte) {
                bytes.append(byte)
            } else if byte == UInt8(ascii: "+") && bytes.isEmpty {
                sawPlus = true
            }
        }
        if !sawPlus && bytes.starts(with: [0x30, 0x30]) {
            bytes.removeFirst(2)
            sawPlus = true
        }
        if sawPlus && !bytes.isEmpty { bytes.insert(UInt8(ascii: "+"), at: 0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    /// The string without leading and trailing white space (Foundation-free).
    public func trimmingSpaces() -> String {
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80 { return self }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }

    /// Length as the limits count it: Unicode scalars (what databases call characters).
    public var limitLength: Int { unicodeScalars.count }
}
