/// The three account types the product knows; `Regular User` and `Administrator` are *editable*
/// users and count toward the editable-user license.
public enum AccountType: String, Sendable, Codable, CaseIterable, Hashable {
    case regular = "Regular User"
    case readOnly = "Read-Only User"
    case administrator = "Administrator"

    /// Whether a user of this type counts toward `license.maxEditableUsers`.
    public var isEditable: Bool { self != .readOnly }

    /// The accepted spellings, for messages.
    public static let allSpellings = allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
}
