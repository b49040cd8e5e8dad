/// A user as a run leaves it: the "after" side of a plan.
public struct UserRecord: Sendable, Equatable {
    public var account: String
    public var name: String
    public var email: String
    public var mobile: String
    public var accountType: AccountType
    public var groupIds: [String]
    public var disabledReason: DisabledReason?
    public var externalId: String
    public var thirdParty: [String: String]
    /// The stamp of the row that makes this record (see `SettledUsers`); nil for a write that no
    /// row made (a disable on deletion), which clears the user's stamp.
    public var sourceDigest: Int64?

    public var disabled: Bool { disabledReason != nil }

    public init(
        account: String, name: String, email: String, mobile: String, accountType: AccountType,
        groupIds: [String], disabledReason: DisabledReason?, externalId: String, thirdParty: [String: String]
    ) {
        self.account = account
        self.name = name
        self.email = email
        self.mobile = mobile
        self.accountType = accountType
        self.groupIds = groupIds
        self.disabledReason = disabledReason
        self.externalId = externalId
        self.thirdParty = thirdParty
    }

    public init(_ user: ExistingUser) {
        self.init(
            account: user.account, name: user.name, email: user.email, mobile: user.mobile,
            accountType: user.accountType, groupIds: user.groupIds, disabledReason: user.disabledReason,
            externalId: user.externalId, thirdParty: user.thirdParty)
    }
}

extension UserRecord {
    /// The fields that differ from `current`, with old and new values as people read them; used by
    /// runs and by admin edits alike, so the audit trail speaks one language.
    public func changes(from current: ExistingUser) -> [FieldChange] {
        var changes: [FieldChange] = []
        func compare(_ field: String, _ old: String, _ new: String) {
            if old != new { changes.append(FieldChange(field: field, old: old, new: new)) }
        }
        compare("account", current.account, account)
        compare("name", current.name, name)
        compare("email", current.email, email)
        compare("mobile", current.mobile, mobile)
        if current.accountType != accountType {
            compare("accountType", current.accountType.rawValue, accountType.rawValue)
        }
        if current.groupIds != groupIds && Set(current.groupIds) != Set(groupIds) {
            compare("groups", current.groupIds.sorted().joined(separator: ";"), groupIds.sorted().joined(separator: ";"))
        }
        compare("externalId", current.externalId, externalId)
        if current.thirdParty != thirdParty {
            compare("thirdParty", Self.render(current.thirdParty), Self.render(thirdParty))
        }
        if current.disabledReason != disabledReason {
            compare("disabled", Self.render(current.disabledReason), Self.render(disabledReason))
        }
        return changes
    }

    static func render(_ map: [String: String]) -> String {
        map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
    }

    private static func render(_ reason: DisabledReason?) -> String {
        reason.map { "true (\($0.rawValue))" } ?? "false"
    }
}

/// A group as a run leaves it.
public struct GroupRecord: Sendable, Equatable {
    public var groupId: String
    public var name: String
    public var parentGroupId: String
    public var externalId: String
    public var thirdParty: [String: String]

    public init(groupId: String, name: String, parentGroupId: String, externalId: String, thirdParty: [String: String] = [:]) {
        self.groupId = groupId
        self.name = name
        self.parentGroupId = parentGroupId
        self.externalId = externalId
        self.thirdParty = thirdParty
    }
}

/// One field's old and new value, for the audit trail and the dry-run output.
public struct FieldChange: Sendable, Equatable, Codable {
    public var field: String
    public var old: String
    public var new: String

    public init(field: String, old: String, new: String) {
        self.field = field
        self.old = old
        self.new = new
    }
}

/// A change to one user that a plan will apply.
public struct UserChange: Sendable, Equatable {
    /// `create`, `update`, `restore`, `disableOnDelete` or `remove`. A user created disabled is a
    /// `create` whose record is disabled.
    public var action: ItemAction
    /// The store id of the user; nil for a create.
    public var existingId: Int64?
    public var record: UserRecord
    public var fieldChanges: [FieldChange]

    public init(action: ItemAction, existingId: Int64?, record: UserRecord, fieldChanges: [FieldChange]) {
        self.action = action
        self.existingId = existingId
        self.record = record
        self.fieldChanges = fieldChanges
    }
}

/// A user that a run leaves as it is, from a valid row whose stamp the user does not carry yet (the
/// first run after an upgrade, or a row that changed back): only the stamp is written.
public struct UserStamp: Sendable, Equatable {
    public var userId: Int64
    public var digest: Int64

    public init(userId: Int64, digest: Int64) {
        self.userId = userId
        self.digest = digest
    }
}

/// A change to one group that a plan will apply.
public struct GroupChange: Sendable, Equatable {
    /// `create`, `update` or `remove`.
    public var action: ItemAction
    public var existingId: Int64?
    public var record: GroupRecord
    public var fieldChanges: [FieldChange]

    public init(action: ItemAction, existingId: Int64?, record: GroupRecord, fieldChanges: [FieldChange]) {
        self.action = action
        self.existingId = existingId
        self.record = record
        self.fieldChanges = fieldChanges
    }
}

/// What a run will do: data you can print, test and diff before anything is applied.
///
/// When `failure` is set the run applies nothing and `userChanges`/`groupChanges` are empty.
public struct SyncPlan: Sendable {
    public var status: RunStatus
    public var failure: RunFailure?
    public var counts: RunCounts
    public var items: [RunItem]
    public var groupChanges: [GroupChange]
    public var userChanges: [UserChange]
    /// Stamps for users the run leaves unchanged (see `UserStamp`).
    public var userStamps: [UserStamp] = []
    /// The plan failed after its changes went to a `PlanSink`: none of them may be applied, and
    /// the run lists only `items`.
    public var discardsSinkParts = false

    public init(
        status: RunStatus, failure: RunFailure?, counts: RunCounts, items: [RunItem],
        groupChanges: [GroupChange], userChanges: [UserChange]
    ) {
        self.status = status
        self.failure = failure
        self.counts = counts
        self.items = items
        self.groupChanges = groupChanges
        self.userChanges = userChanges
    }

    /// A plan that changes nothing because the run failed as a whole.
    public static func failed(_ failure: RunFailure, items: [RunItem] = []) -> SyncPlan {
        SyncPlan(status: .failed, failure: failure, counts: RunCounts(), items: items, groupChanges: [], userChanges: [])
    }
}
