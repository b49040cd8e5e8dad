import Foundation

/// The status of a run in the Update History.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case running
    case success
    case partiallyFailed = "partially_failed"
    case failed
}

/// What started a run.
public enum RunTrigger: String, Sendable, Codable, CaseIterable {
    case manual
    case scheduled
    /// Started through the HTTP API or the console.
    case api
    /// Started by a connector agent after it pushed its datasets.
    case agent
}

/// Why a whole run failed: nothing of it was applied.
public enum FailureCode: String, Sendable, Codable, CaseIterable {
    /// A dataset selected in the config no longer exists.
    case datasetMissing = "DATASET_MISSING"
    /// The directory pull did not finish.
    case sourceIncomplete = "SOURCE_INCOMPLETE"
    /// A selected dataset has no rows while the store holds managed accounts: never "everyone left".
    case sourceEmpty = "SOURCE_EMPTY"
    /// The plan deletes more users or groups than the safeguard allows.
    case safeguardTripped = "SAFEGUARD_TRIPPED"
    /// The process died or was stopped mid-run; recorded at the next start.
    case interrupted = "INTERRUPTED"
    case configInvalid = "CONFIG_INVALID"
    case storeError = "STORE_ERROR"
    /// Every row failed validation, so nothing could be applied.
    case allItemsFailed = "ALL_ITEMS_FAILED"
}

/// A run-level failure: a stable code and a message written for an administrator.
public struct RunFailure: Error, Sendable, Codable, Equatable {
    public var code: FailureCode
    public var message: String

    public init(code: FailureCode, message: String) {
        self.code = code
        self.message = message
    }
}

/// Why one user or group failed.
public enum ItemCode: String, Sendable, Codable, CaseIterable {
    case groupParentNotFound = "GROUP_PARENT_NOT_FOUND"
    case groupParentIsSelf = "GROUP_PARENT_IS_SELF"
    case groupParentCycle = "GROUP_PARENT_CYCLE"
    case duplicateGroupId = "DUPLICATE_GROUP_ID"
    case duplicateAccount = "DUPLICATE_ACCOUNT"
    case accountExists = "ACCOUNT_EXISTS"
    case duplicateMobile = "DUPLICATE_MOBILE"
    case duplicateEmail = "DUPLICATE_EMAIL"
    case invalidAccountType = "INVALID_ACCOUNT_TYPE"
    case valueTooLong = "VALUE_TOO_LONG"
    case missingRequiredField = "MISSING_REQUIRED_FIELD"
    case unknownGroup = "UNKNOWN_GROUP"
    case editableLicenseExceeded = "EDITABLE_LICENSE_EXCEEDED"
    case userLicenseExceeded = "USER_LICENSE_EXCEEDED"
    case resourcesNotTransferred = "RESOURCES_NOT_TRANSFERRED"
    /// Could not delete: a protected account or group (administrators by default).
    case protected = "PROTECTED"
    /// The item would have been deleted by a run the safeguard stopped.
    case safeguardTripped = "SAFEGUARD_TRIPPED"
    /// Warning: a group lists a member the pull could not find (dangling, outside the base, an alias).
    case memberNotFound = "MEMBER_NOT_FOUND"
    /// Warning: an entry matched a user or group search but is an alias or a referral object.
    case entrySkipped = "ENTRY_SKIPPED"
    /// Warning: a continuation reference was not followed (another naming context, or `referrals: skip`).
    case referenceSkipped = "REFERENCE_SKIPPED"
    /// Warning: a value could not serve as an identity (an objectGUID that is not 16 bytes…).
    case identityFallback = "IDENTITY_FALLBACK"

    /// Warnings tell the admin about the source; they never fail an item or a run.
    public var isWarning: Bool {
        switch self {
        case .memberNotFound, .entrySkipped, .referenceSkipped, .identityFallback: true
        default: false
        }
    }
}

/// What a run did, or would have done, to one user or group.
public enum ItemAction: String, Sendable, Codable, CaseIterable {
    case create
    case update
    case restore
    case disableOnCreate = "disable_on_create"
    case disableOnDelete = "disable_on_delete"
    case remove
}

/// Whether an item is a user or a group.
public enum ItemKind: String, Sendable, Codable, CaseIterable {
    case user
    case group
}

/// One line of a run's detail: an applied change (`code == nil`) or a failure with its reason.
public struct RunItem: Sendable, Codable, Equatable {
    public var kind: ItemKind
    /// The account or group id; `row N` when the row has none.
    public var key: String
    public var action: ItemAction
    public var code: ItemCode?
    public var message: String

    public init(kind: ItemKind, key: String, action: ItemAction, code: ItemCode? = nil, message: String) {
        self.kind = kind
        self.key = key
        self.action = action
        self.code = code
        self.message = message
    }
}

extension RunItem {
    /// A failed item (not an applied change, not the safeguard's list, not a warning).
    public var isFailure: Bool {
        guard let code else { return false }
        return !code.isWarning && code != .safeguardTripped
    }
}

/// The counts of the Update History list.
public struct RunCounts: Sendable, Codable, Equatable {
    public var usersCreated = 0
    public var usersUpdated = 0
    public var usersRestored = 0
    public var usersDisabledOnCreate = 0
    public var usersDisabledOnDelete = 0
    public var usersRemoved = 0
    public var usersFailedNew = 0
    public var usersFailedUpdate = 0
    public var usersNotDeleted = 0
    public var groupsCreated = 0
    public var groupsUpdated = 0
    public var groupsRemoved = 0
    public var groupsFailedNew = 0
    public var groupsFailedUpdate = 0
    public var groupsNotDeleted = 0

    public init() {}

    /// Number of failed items of every kind.
    public var failures: Int {
        usersFailedNew + usersFailedUpdate + usersNotDeleted + groupsFailedNew + groupsFailedUpdate + groupsNotDeleted
    }

    /// Number of applied changes of every kind.
    public var changes: Int {
        usersCreated + usersUpdated + usersRestored + usersDisabledOnDelete + usersRemoved
            + groupsCreated + groupsUpdated + groupsRemoved
    }
}

/// One entry of the Update History.
public struct RunRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var status: RunStatus
    public var trigger: RunTrigger
    public var startedAt: Date
    public var finishedAt: Date?
    public var failure: RunFailure?
    public var counts: RunCounts
    public var items: [RunItem]
    /// Who let this run past the safeguard, if anyone.
    public var approval: RunApproval?
    /// Who started it, when not the local command line or the timer: `admin:NAME`, `token:NAME`.
    public var startedBy: String?
    /// The store's settings version it ran with; nil when the config file pinned the settings.
    public var settingsVersion: Int64?
    /// For a run fed by a connector agent: the agent's name and where it pulled from.
    public var agent: AgentInfo?

    public init(
        id: Int64, status: RunStatus, trigger: RunTrigger, startedAt: Date, finishedAt: Date?,
        failure: RunFailure?, counts: RunCounts, items: [RunItem], approval: RunApproval? = nil, startedBy: String? = nil
    ) {
        self.startedBy = startedBy
        self.id = id
        self.status = status
        self.trigger = trigger
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.failure = failure
        self.counts = counts
        self.items = items
        self.approval = approval
    }
}

/// The connector agent that fed a run: its name (`core.agent`) and the directory it pulled from.
public struct AgentInfo: Sendable, Codable, Equatable {
    public var name: String
    public var source: String

    public init(name: String, source: String) {
        self.name = name
        self.source = source
    }
}

/// An administrator's approval as the history records it: of a tripped run's list (`runId`), or of
/// a number (`allowDeletions`), by whom and why.
public struct RunApproval: Sendable, Codable, Equatable {
    /// The tripped run whose list was approved; nil for `--allow-deletions N`.
    public var runId: Int64?
    public var allowDeletions: Int?
    /// The login name of the approver (`$SUDO_USER`, else the user running the process).
    public var by: String
    public var reason: String?

    public init(runId: Int64?, allowDeletions: Int?, by: String, reason: String?) {
        self.runId = runId
        self.allowDeletions = allowDeletions
        self.by = by
        self.reason = reason
    }

    private enum CodingKeys: String, CodingKey { case runId, allowDeletions, by, reason }

    /// Writes every key, null when absent.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runId, forKey: .runId)
        try container.encode(allowDeletions, forKey: .allowDeletions)
        try container.encode(by, forKey: .by)
        try container.encode(reason, forKey: .reason)
    }
}


extension RunItem {
    private enum CodingKeys: String, CodingKey { case kind, key, action, code, message }

    /// Writes `code: null` for applied changes, so every item has the same shape.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(key, forKey: .key)
        try container.encode(action, forKey: .action)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
    }
}

extension RunRecord {
    private enum CodingKeys: String, CodingKey { case id, status, trigger, startedBy, settingsVersion, agent, startedAt, finishedAt, failure, counts, approval, items }

    /// Writes `finishedAt` and `failure` as null when absent: the run JSON always has every key.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encode(trigger, forKey: .trigger)
        try container.encode(startedBy, forKey: .startedBy)
        try container.encode(settingsVersion, forKey: .settingsVersion)
        try container.encode(agent, forKey: .agent)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(failure, forKey: .failure)
        try container.encode(counts, forKey: .counts)
        try container.encode(approval, forKey: .approval)
        try container.encode(items, forKey: .items)
    }
}
