import Foundation

/// Why a user is disabled; it decides what a later run may do about it.
public enum DisabledReason: String, Sendable, Codable, Hashable {
    /// The source said so (a `disabled` row): the next run re-enables the user when the source does.
    case source
    /// An earlier run disabled the user because they left the dataset: coming back restores them.
    case deletion
    /// An administrator disabled the user by hand: no run re-enables them.
    case admin
}

/// A user as the account store holds it now: the "before" side of a plan.
///
/// A full plan holds a million of these: the one-byte fields come last, so that they share one
/// word instead of padding four (160 bytes a user became 136).
public struct ExistingUser: Sendable, Equatable {
    public var id: Int64
    public var account: String
    public var name: String
    public var email: String
    public var mobile: String
    public var externalId: String
    public var groupIds: [String]
    public var thirdParty: [String: String]
    /// When a run disabled the user because they left (set with `disabledReason == .deletion`).
    public var leftAt: Date?
    /// The stamp of the dataset row that last wrote the user (see `SettledUsers`); nil once anything
    /// else has changed it.
    public var sourceDigest: Int64?
    public var accountType: AccountType
    public var disabledReason: DisabledReason?
    /// True when the sync created (owns) this user; local accounts added by an admin are not managed.
    public var managed: Bool
    /// The user still owns resources of the host application and cannot be removed.
    public var ownsResources: Bool

    public var disabled: Bool { disabledReason != nil }

    public init(
        id: Int64, account: String, name: String = "", email: String = "", mobile: String = "",
        accountType: AccountType = .regular, groupIds: [String] = [], disabledReason: DisabledReason? = nil,
        managed: Bool = true, externalId: String = "", thirdParty: [String: String] = [:],
        ownsResources: Bool = false, leftAt: Date? = nil, sourceDigest: Int64? = nil
    ) {
        self.id = id
        self.account = account
        self.name = name
        self.email = email
        self.mobile = mobile
        self.accountType = accountType
        self.groupIds = groupIds
        self.disabledReason = disabledReason
        self.managed = managed
        self.externalId = externalId
        self.thirdParty = thirdParty
        self.ownsResources = ownsResources
        self.leftAt = leftAt
        self.sourceDigest = sourceDigest
    }
}

/// A user group as the account store holds it now.
public struct ExistingGroup: Sendable, Equatable {
    public var id: Int64
    public var groupId: String
    public var name: String
    public var parentGroupId: String
    public var externalId: String
    public var managed: Bool
    public var ownsResources: Bool
    public var thirdParty: [String: String]

    public init(
        id: Int64, groupId: String, name: String = "", parentGroupId: String = "", externalId: String = "",
        managed: Bool = true, ownsResources: Bool = false, thirdParty: [String: String] = [:]
    ) {
        self.id = id
        self.groupId = groupId
        self.name = name
        self.parentGroupId = parentGroupId
        self.externalId = externalId
        self.managed = managed
        self.ownsResources = ownsResources
        self.thirdParty = thirdParty
    }
}

/// Everything a plan is computed against: the store's users and groups before the run.
public struct AccountState: Sendable {
    public var users: [ExistingUser]
    public var groups: [ExistingGroup]

    public init(users: [ExistingUser] = [], groups: [ExistingGroup] = []) {
        self.users = users
        self.groups = groups
    }
}
