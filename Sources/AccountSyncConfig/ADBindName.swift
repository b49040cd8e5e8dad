/// The three ways Active Directory administrators write a bind name, told apart and checked:
/// a DN (`CN=svc-sync,OU=Service,DC=corp,DC=example,DC=com`), a user principal name
/// (`svc-sync@corp.example.com`) or a down-level logon name (`CORP\svc-sync`). AD accepts all three
/// in a simple bind; each form is checked for what it is, so a typo is caught before 2 a.m.
enum ADBindName: Equatable {
    case distinguishedName
    /// A user principal name; the associated text says what is wrong with it, if anything.
    case userPrincipalName(problem: String?)
    /// A down-level logon name; the associated text says what is wrong with it, if anything.
    case downLevel(problem: String?)

    /// Characters AD refuses in a sAMAccountName.
    private static let forbiddenInLogonName = Set("\"/\\[]:;|=,+*?<>@")

    static func kind(of text: String) -> ADBindName {
        if text.contains("=") { return .distinguishedName }
        if let backslash = text.firstIndex(of: "\\") {
            let domain = text[..<backslash]
            let user = text[text.index(after: backslash)...]
            if domain.isEmpty || domain.count > 15 || domain.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }) {
                return .downLevel(problem: "'\(text)': the domain part of a down-level name (DOMAIN\\user) is a NetBIOS name of 1 to 15 letters, digits, '-', '_' or '.'")
            }
            if user.isEmpty || user.count > 20 || user.contains(where: { forbiddenInLogonName.contains($0) || $0.isWhitespace && $0 != " " }) || user.hasSuffix(".") {
                return .downLevel(problem: "'\(text)': the user part of a down-level name is a logon name of 1 to 20 characters without \" / \\ [ ] : ; | = , + * ? < > @")
            }
            return .downLevel(problem: nil)
        }
        if let at = text.firstIndex(of: "@") {
            let user = text[..<at]
            let suffix = text[text.index(after: at)...]
            let labels = suffix.split(separator: ".", omittingEmptySubsequences: false)
            if user.isEmpty || user.contains(where: { $0.isWhitespace || forbiddenInLogonName.contains($0) && $0 != "@" }) {
                return .userPrincipalName(problem: "'\(text)': the part before '@' of a user principal name must be a logon name without spaces or \" / \\ [ ] : ; | = , + * ? < >")
            }
            if suffix.contains("@") || labels.count < 2 || labels.contains(where: { label in
                label.isEmpty || label.hasPrefix("-") || label.hasSuffix("-") || label.contains { !($0.isLetter || $0.isNumber || $0 == "-") }
            }) {
                return .userPrincipalName(problem: "'\(text)': the part after '@' of a user principal name must be a DNS domain such as corp.example.com")
            }
            return .userPrincipalName(problem: nil)
        }
        return .distinguishedName
    }
}
