/// The three account types the product knows; `Regular User` and `Administrator` are *editable*
/// users and count toward the editable-user license.
public enum AccountType: String, Sendable, Codable, CaseIterable, Hashable {
    case regular = "Regular User"
    case readOnly = "Read-Only User"
    case administrator = "Administrator"

    /// Whether a user of this type counts toward `license.maxEditableUsers`.
    public var isEditable: Bool { self != .readOnly }

    /// The message of a run item that creates a user of this type. Made once per type, so that a
    /// million creations share three texts instead of holding one each.
    public var creationMessage: String {
        switch self {
        case .regular: Self.creationMessages[0]
        case .readOnly: Self.creationMessages[1]
        case .administrator: Self.creationMessages[2]
        }
    }

    private static let creationMessages = [regular, readOnly, administrator].map { "created as \($0.rawValue)" }

    /// The accepted spellings, for messages.
    public static let allSpellings = allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
}
