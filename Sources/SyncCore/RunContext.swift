import Foundation

/// What a plan needs besides the datasets and the accounts: the clock, the deletions earlier runs
/// applied inside the safeguard's window, and an administrator's approval. The store and the app
/// gather it; the planner stays pure (tests inject the clock).
public struct RunContext: Sendable {
    /// "Now" for purges and the window.
    public var now: Date
    /// The run being planned, for the approval hint in messages; nil for a dry run.
    public var runId: Int64?
    /// Deletions applied by earlier runs within `safeguard.window.days` (not counting approved runs).
    public var recentDeletions: DeletionTally
    public var approval: Approval?
    /// Where the datasets came from, said in `SOURCE_EMPTY` messages (e.g. the base DN and filter).
    public var sourceDescription: String?
    /// What the pull had to say about the source (warning-level items: unresolved members, skipped
    /// entries and references), added to the run's items.
    public var sourceNotices: [RunItem]

    public init(
        now: Date = Date(), runId: Int64? = nil, recentDeletions: DeletionTally = DeletionTally(),
        approval: Approval? = nil, sourceDescription: String? = nil, sourceNotices: [RunItem] = []
    ) {
        self.now = now
        self.runId = runId
        self.recentDeletions = recentDeletions
        self.approval = approval
        self.sourceDescription = sourceDescription
        self.sourceNotices = sourceNotices
    }
}

/// Users and groups deleted: by one run, or by the runs of a window.
public struct DeletionTally: Sendable, Equatable {
    public var users: Int
    public var groups: Int

    public init(users: Int = 0, groups: Int = 0) {
        self.users = users
        self.groups = groups
    }
}

/// An administrator's approval for one run to go past the safeguard.
public enum Approval: Sendable, Equatable {
    /// Exactly the deletions a tripped run listed (`run --approve RUN_ID`): any other deletion trips again.
    case listed(ApprovedList)
    /// Up to N deletions of users and of groups, and N member removals a group (`--allow-deletions N`).
    case count(Int)
}

/// The would-be deletions a tripped run listed, as its `SAFEGUARD_TRIPPED` items name them.
public struct ApprovedList: Sendable, Equatable {
    /// The run that listed them.
    public var runId: Int64
    /// Accounts, normalised (`Normalize.account`).
    public var users: Set<String>
    public var groups: Set<String>
    /// Groups whose member removals went past `maxMembershipRemovalsPerGroup`, with the number listed.
    public var memberRemovals: [String: Int]

    public init(runId: Int64, users: Set<String> = [], groups: Set<String> = [], memberRemovals: [String: Int] = [:]) {
        self.runId = runId
        self.users = users
        self.groups = groups
        self.memberRemovals = memberRemovals
    }

    /// Reads the list back from a tripped run's items.
    public init(runId: Int64, items: [RunItem]) {
        self.init(runId: runId)
        for item in items where item.code == .safeguardTripped {
            switch (item.kind, item.action) {
            case (.user, _): users.insert(Normalize.account(item.key))
            case (.group, .remove): groups.insert(item.key)
            case (.group, _): memberRemovals[item.key] = MemberRemovalMessage.count(in: item.message) ?? 0
            }
        }
    }
}

/// The message of a tripped run's member-removal item, and the number read back from it for an
/// approval: written and parsed in one place so the two cannot drift.
enum MemberRemovalMessage {
    static func make(group: String, count: Int, limit: Int) -> String {
        "would lose \(count) members in this run; the limit is \(limit) a group (sync.safeguard.maxMembershipRemovalsPerGroup)"
    }

    static func count(in message: String) -> Int? {
        guard message.hasPrefix("would lose ") else { return nil }
        return Int(message.dropFirst("would lose ".count).prefix { $0.isNumber })
    }
}
