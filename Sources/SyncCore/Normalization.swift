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
        let trimmed = value.trimmingSpaces()
        let digits = trimmed.unicodeScalars.filter { $0.properties.numericType != nil && $0.isASCII }
        var result = String(String.UnicodeScalarView(digits))
        if trimmed.hasPrefix("+") {
            result = "+" + result
        } else if result.hasPrefix("00") {
            result = "+" + result.dropFirst(2)
        }
        return result
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
