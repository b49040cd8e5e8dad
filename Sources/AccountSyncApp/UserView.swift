import SyncCore

/// A user as `users list --json`, `users show --json` and the API show them: one shape for all.
public struct UserView: Codable, Sendable, Equatable {
    public var account, name, email, mobile, accountType, status, externalId: String
    public var managed, ownsResources: Bool
    public var groupIds: [String]
    public var thirdParty: [String: String]

    public init(_ user: ExistingUser) {
        account = user.account
        name = user.name
        email = user.email
        mobile = user.mobile
        accountType = user.accountType.rawValue
        status = Self.status(user)
        externalId = user.externalId
        managed = user.managed
        ownsResources = user.ownsResources
        groupIds = user.groupIds
        thirdParty = user.thirdParty
    }

    /// Enabled, or disabled and why, in words.
    public static func status(_ user: ExistingUser) -> String {
        switch user.disabledReason {
        case nil: "enabled"
        case .source: "disabled (by the source)"
        case .deletion: "disabled (left the dataset)"
        case .admin: "disabled (by an admin)"
        }
    }
}
