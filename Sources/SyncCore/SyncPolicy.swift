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

/// The Deletion Safeguard: the most users and groups one run may delete before it refuses to apply
/// anything (`SAFEGUARD_TRIPPED`).
public struct DeletionSafeguard: Sendable, Equatable {
    public var maxUserDeletions: Int
    public var maxGroupDeletions: Int
    public var deletedUsers: DeletedUserAction

    public init(maxUserDeletions: Int = 10, maxGroupDeletions: Int = 5, deletedUsers: DeletedUserAction = .disable) {
        self.maxUserDeletions = maxUserDeletions
        self.maxGroupDeletions = maxGroupDeletions
        self.deletedUsers = deletedUsers
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
