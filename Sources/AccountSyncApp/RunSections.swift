import SyncCore
import SyncStore

/// The sections of a run — failed new users, users disabled during deletion, … — each a kind,
/// actions and class of items, with the title the product uses. One list for every reader of a
/// run: the history's counts link to them, the run's page lists a few of each and a section's own
/// page lists them all, and `run` and `history show` print them in the same order.
public struct RunSection: Sendable {
    public var key: String
    public var title: String
    public var kind: ItemKind?
    public var actions: [ItemAction]
    public var itemClass: ItemClass
    /// What the list says in its reason column, e.g. "Reason" for failures.
    public var reasonHeading: String

    public func matches(_ group: RunItemGroup) -> Bool {
        (kind == nil || group.kind == kind) && (actions.isEmpty || actions.contains(group.action)) && group.itemClass == itemClass
    }

    public func matches(_ item: RunItem) -> Bool {
        matches(RunItemGroup(item))
    }

    public static let all: [RunSection] = [
        RunSection(key: "failed-new-users", title: "Failed new users", kind: .user, actions: [.create], itemClass: .failure, reasonHeading: "Reason"),
        RunSection(key: "failed-updated-users", title: "Failed updated users", kind: .user, actions: [.update, .restore], itemClass: .failure, reasonHeading: "Reason"),
        RunSection(key: "not-deleted-users", title: "Users that could not be deleted", kind: .user, actions: [.disableOnDelete, .remove], itemClass: .failure, reasonHeading: "Cause"),
        RunSection(key: "failed-new-groups", title: "Failed new user groups", kind: .group, actions: [.create], itemClass: .failure, reasonHeading: "Reason"),
        RunSection(key: "failed-updated-groups", title: "Failed updated user groups", kind: .group, actions: [.update, .restore], itemClass: .failure, reasonHeading: "Reason"),
        RunSection(key: "not-deleted-groups", title: "User groups that could not be deleted", kind: .group, actions: [.remove, .disableOnDelete], itemClass: .failure, reasonHeading: "Cause"),
        RunSection(key: "stopped-users", title: "Users this run would have deleted", kind: .user, actions: [], itemClass: .safeguard, reasonHeading: "What would have happened"),
        RunSection(key: "stopped-groups", title: "User groups this run would have deleted", kind: .group, actions: [], itemClass: .safeguard, reasonHeading: "What would have happened"),
        RunSection(key: "disabled-on-deletion", title: "Users disabled during deletion", kind: .user, actions: [.disableOnDelete], itemClass: .change, reasonHeading: "What happened"),
        RunSection(key: "disabled-on-creation", title: "Users disabled during creation", kind: .user, actions: [.disableOnCreate], itemClass: .change, reasonHeading: "What happened"),
        RunSection(key: "created-users", title: "New users", kind: .user, actions: [.create], itemClass: .change, reasonHeading: "What happened"),
        RunSection(key: "updated-users", title: "Updated users", kind: .user, actions: [.update], itemClass: .change, reasonHeading: "Changes (field: old → new)"),
        RunSection(key: "restored-users", title: "Restored users", kind: .user, actions: [.restore], itemClass: .change, reasonHeading: "Changes"),
        RunSection(key: "removed-users", title: "Removed users", kind: .user, actions: [.remove], itemClass: .change, reasonHeading: "What happened"),
        RunSection(key: "created-groups", title: "New user groups", kind: .group, actions: [.create], itemClass: .change, reasonHeading: "What happened"),
        RunSection(key: "updated-groups", title: "Updated user groups", kind: .group, actions: [.update, .restore], itemClass: .change, reasonHeading: "Changes (field: old → new)"),
        RunSection(key: "removed-groups", title: "Removed user groups", kind: .group, actions: [.remove, .disableOnDelete], itemClass: .change, reasonHeading: "What happened"),
        RunSection(key: "warnings", title: "Warnings about the source", kind: nil, actions: [], itemClass: .warning, reasonHeading: "Warning"),
    ]

    public static func named(_ key: String) -> RunSection? {
        all.first { $0.key == key }
    }
}
