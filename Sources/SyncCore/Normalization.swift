/// How values are compared for uniqueness: accounts and emails case-insensitively, mobiles by digits.
public enum Normalize {
    /// Accounts are unique case-insensitively.
    public static func account(_ value: String) -> String {
        value.trimmingSpaces().lowercased()
    }

    /// Emails compare lowercased and trimmed.
    public static func email(_ value: String) -> String {
        value.trimmingSpaces().lowercased()
    }

    /// Mobiles compare as digits with their country code: `+86 138-0013-8000`, `0086 13800138000` and
    /// `+8613800138000` are the same number. A number without `+` or `00` keeps its digits as given.
    public static func mobile(_ value: String) -> String {
        let kept = value.unicodeScalars.filter { $0 == "+" || ("0"..."9").contains($0) }
        let digits = String(String.UnicodeScalarView(kept.filter { $0 != "+" }))
        if kept.first == "+" { return "+" + digits }
        if digits.hasPrefix("00") { return "+" + digits.dropFirst(2) }
        return digits
    }
}

extension String {
    /// The string without leading and trailing white space (Foundation-free).
    public func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }

    /// Length as the limits count it: Unicode scalars (what databases call characters).
    public var limitLength: Int { unicodeScalars.count }
}
