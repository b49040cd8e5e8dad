/// Builds LDAP search filters (RFC 4515). Every value placed into a filter goes through `escape`,
/// so a value like `*)(uid=*` matches itself and never widens the search.
public enum LDAPFilter {
    /// Escapes `*`, `(`, `)`, `\` and NUL as `\XX` (RFC 4515 section 3); other bytes, UTF-8
    /// included, stay as they are.
    public static func escape(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "*": result += "\\2a"
            case "(": result += "\\28"
            case ")": result += "\\29"
            case "\\": result += "\\5c"
            case "\0": result += "\\00"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// `(attribute=value)` with the value escaped.
    public static func equals(_ attribute: String, _ value: String) -> String {
        "(\(attribute)=\(escape(value)))"
    }

    /// `(&f1f2…)`; a single filter is returned as it is.
    public static func and(_ filters: [String]) -> String {
        filters.count == 1 ? filters[0] : "(&" + filters.joined() + ")"
    }

    /// `(|f1f2…)`; a single filter is returned as it is.
    public static func or(_ filters: [String]) -> String {
        filters.count == 1 ? filters[0] : "(|" + filters.joined() + ")"
    }
}
