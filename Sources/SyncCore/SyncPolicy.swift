/// What one run is allowed to do: the deletion safeguard, the license, the owned fields and the
/// length limits. Built from the `sync:` section of the config file.
public struct SyncPolicy: Sendable, Equatable {
    public var safeguard: DeletionSafeguard
    public var license: LicenseLimits
    public var ownedFields: Set<OwnedField>
    public var limits: FieldLimits

    public init(
        safeguard: DeletionSafeguard = .init(), license: LicenseLimits = .init(),
        ownedFields: Set<OwnedField> = Set(OwnedField.allCases), limits: FieldLimits = .init()
    ) {
        self.safeguard = safeguard
        self.license = license
        self.ownedFields = ownedFields
        self.limits = limits
    }
}

/// What happens to a managed user who is no longer in the user dataset.
public enum DeletedUserAction: String, Sendable, Codable, CaseIterable {
    case disable
    case remove
}

/// The Deletion Safeguard: how much one run (and a rolling window of runs) may delete before it
/// refuses to apply anything (`SAFEGUARD_TRIPPED`), and who is never deleted by a run.
///
/// A "deletion" is a user disabled or removed because they left the user dataset (a purge
/// included), or a group removed because it left the group dataset.
public struct DeletionSafeguard: Sendable, Equatable {
    public var maxUserDeletions: Int
    public var maxGroupDeletions: Int
    /// Percent of the managed, enabled users before the run; applied from `percentFloor` users up.
    public var maxUserDeletionPercent: Double
    /// Percent of the managed groups before the run; applied from `percentFloor` groups up.
    public var maxGroupDeletionPercent: Double
    /// Limits over the deletions of the last `days` days, this run's included.
    public var window: DeletionWindow?
    /// The most members one run may take out of any one group; nil: no limit.
    public var maxMembershipRemovalsPerGroup: Int?
    public var protection: Protection
    public var deletedUsers: DeletedUserAction
    /// With `deletedUsers: disable`: a user disabled because they left, still absent this many days
    /// later, is removed by a later run. nil: disabled users stay.
    public var purgeAfterDays: Int?

    /// Below this many managed users (or groups) the percentages are not applied, so a small test
    /// store is not blocked by one departure; the count limits still are.
    public static let percentFloor = 20

    public init(
        maxUserDeletions: Int = 10, maxGroupDeletions: Int = 5, maxUserDeletionPercent: Double = 20,
        maxGroupDeletionPercent: Double = 20, window: DeletionWindow? = nil, maxMembershipRemovalsPerGroup: Int? = nil,
        protection: Protection = Protection(), deletedUsers: DeletedUserAction = .disable, purgeAfterDays: Int? = nil
    ) {
        self.maxUserDeletions = maxUserDeletions
        self.maxGroupDeletions = maxGroupDeletions
        self.maxUserDeletionPercent = maxUserDeletionPercent
        self.maxGroupDeletionPercent = maxGroupDeletionPercent
        self.window = window
        self.maxMembershipRemovalsPerGroup = maxMembershipRemovalsPerGroup
        self.protection = protection
        self.deletedUsers = deletedUsers
        self.purgeAfterDays = purgeAfterDays
    }
}

/// A rolling window of deletion limits: what runs of the last `days` days may delete together, so a
/// slow drip under the per-run limit is still caught.
public struct DeletionWindow: Sendable, Equatable {
    public var days: Int
    public var maxUserDeletions: Int?
    public var maxGroupDeletions: Int?

    public init(days: Int, maxUserDeletions: Int? = nil, maxGroupDeletions: Int? = nil) {
        self.days = days
        self.maxUserDeletions = maxUserDeletions
        self.maxGroupDeletions = maxGroupDeletions
    }
}

/// Users and groups no run deletes: administrators (by default), named accounts, and named groups
/// (a group protects itself and its members). They are kept and reported as `PROTECTED`.
public struct Protection: Sendable, Equatable {
    public var administrators: Bool
    public var accounts: [String]
    public var groups: [String]

    public init(administrators: Bool = true, accounts: [String] = [], groups: [String] = []) {
        self.administrators = administrators
        self.accounts = accounts
        self.groups = groups
    }
}

/// License limits; `nil` means unlimited. Disabled users count toward neither.
public struct LicenseLimits: Sendable, Equatable {
    public var maxUsers: Int?
    public var maxEditableUsers: Int?

    public init(maxUsers: Int? = nil, maxEditableUsers: Int? = nil) {
        self.maxUsers = maxUsers
        self.maxEditableUsers = maxEditableUsers
    }
}

/// The user fields a run may overwrite on an existing user. An admin's edit of a field that is not
/// owned survives later runs. New users always get every field from the dataset.
public enum OwnedField: String, Sendable, Codable, CaseIterable, Hashable {
    case name, email, mobile, accountType, groups, thirdParty
}

/// Length limits (in Unicode scalars) of the stored fields; a longer value fails its row with
/// `VALUE_TOO_LONG` naming the field and the limit.
public struct FieldLimits: Sendable, Equatable {
    public var account = 64
    public var name = 128
    public var email = 254
    public var mobile = 32
    public var groupId = 128
    public var groupName = 128

    public init() {}

    public init(account: Int, name: Int, email: Int, mobile: Int, groupId: Int, groupName: Int) {
        self.account = account
        self.name = name
        self.email = email
        self.mobile = mobile
        self.groupId = groupId
        self.groupName = groupName
    }
}
