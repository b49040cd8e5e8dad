import Foundation

/// Computes what one run will do: validates both datasets against the current accounts, plans every
/// change, and applies the deletion safeguard and the license.
///
/// ```swift
/// let plan = SyncPlanner(policy: policy).plan(users: userRows, groups: groupRows, state: state, context: context)
/// if plan.failure == nil { try store.apply(plan) }
/// ```
/// Pure: no I/O; the clock comes in the context. A `nil` dataset means that part is not synced
/// (its accounts stay as they are).
public struct SyncPlanner: Sendable {
    public var policy: SyncPolicy

    public init(policy: SyncPolicy) {
        self.policy = policy
    }

    /// - Parameter allowDeletions: an administrator's approval for this one run to delete up to this
    ///   many users and this many groups, whatever the safeguard's limits say.
    public func plan(users: [UserRow]?, groups: [GroupRow]?, state: AccountState, allowDeletions: Int? = nil) -> SyncPlan {
        plan(users: users, groups: groups, state: state, context: RunContext(approval: allowDeletions.map(Approval.count)))
    }

    public func plan(users: [UserRow]?, groups: [GroupRow]?, state: AccountState, context: RunContext) -> SyncPlan {
        plan(groups: groups, existingGroups: state.groups, context: context) { _ in
            users.map { UserInput(rows: $0, existing: state.users) }
        }
    }

    /// Plans the groups first, then asks `users` for the user side, telling it which groups' members
    /// cannot be taken as settled (see `SettledUsers`). `users` returns nil when users are not synced.
    public func plan(
        groups: [GroupRow]?, existingGroups: [ExistingGroup], context: RunContext, users: (GroupOutcome) throws -> UserInput?
    ) rethrows -> SyncPlan {
        var plan = try planChanges(groups: groups, existingGroups: existingGroups, context: context, users: users)
        plan.items += context.sourceNotices
        return plan
    }

    private func planChanges(
        groups: [GroupRow]?, existingGroups: [ExistingGroup], context: RunContext, users: (GroupOutcome) throws -> UserInput?
    ) rethrows -> SyncPlan {
        let groupResult: GroupPlanner.Result
        if let groups {
            groupResult = GroupPlanner(policy: policy).plan(rows: groups, existing: existingGroups)
        } else {
            var untouched = GroupPlanner.Result()
            untouched.finalGroupIds = Set(existingGroups.map(\.groupId))
            untouched.managedIds = Set(existingGroups.filter(\.managed).map(\.groupId))
            groupResult = untouched
        }
        var userInput = try users(groupResult.outcome(existing: existingGroups))
        var userResult = userInput.map {
            UserPlanner(policy: policy).plan($0, groups: groupResult, now: context.now)
        }
        let managedEnabledUsers = (userInput?.existing.count { $0.managed && !$0.disabled } ?? 0) + (userInput?.settled?.enabled ?? 0)
        let usersEmpty = userInput?.totalRows == 0
        userInput = nil  // the rows, now planned: a million of them is a few hundred MB

        let guardResult = SafeguardCheck(
            policy: policy.safeguard, managedEnabledUsers: managedEnabledUsers,
            managedGroups: existingGroups.count { $0.managed }, context: context)
            .check(usersEmpty: usersEmpty, groupsEmpty: groups?.isEmpty == true, users: userResult, groups: groupResult)
        if let failure = guardResult.failure {
            return .failed(failure, items: guardResult.items)
        }

        var counts = groupResult.counts
        var items = groupResult.items
        let userValidRows = userResult?.validRows ?? 0
        let userStamps = userResult?.stamps ?? []
        var userChanges: [UserChange] = []
        if var result = userResult.take() {
            let u = result.counts
            counts.usersCreated = u.usersCreated
            counts.usersUpdated = u.usersUpdated
            counts.usersRestored = u.usersRestored
            counts.usersDisabledOnCreate = u.usersDisabledOnCreate
            counts.usersFailedNew = u.usersFailedNew
            counts.usersFailedUpdate = u.usersFailedUpdate
            counts.usersNotDeleted = u.usersNotDeleted
            counts.usersDisabledOnDelete = result.deletions.count { $0.action == .disableOnDelete }
            counts.usersRemoved = result.deletions.count { $0.action == .remove }
            // Moved out of the planner's result, not concatenated: concatenating held a second copy
            // of a million changes while the plan was put together.
            items += result.items
            result.items = []
            items += result.deletionItems
            userChanges = result.changes
            result.changes = []
            userChanges += result.deletions
        }
        let groupChanges = groupResult.changes + groupResult.removals

        let succeeded = groupResult.validRows + userValidRows + counts.changes
        if counts.failures == 0 {
            var plan = SyncPlan(status: .success, failure: nil, counts: counts, items: items, groupChanges: groupChanges, userChanges: userChanges)
            plan.userStamps = userStamps
            return plan
        }
        if succeeded == 0 {
            let failure = RunFailure(code: .allItemsFailed, message: "every item failed (\(counts.failures)); nothing could be applied. See the items for each reason")
            return SyncPlan(status: .failed, failure: failure, counts: counts, items: items, groupChanges: [], userChanges: [])
        }
        var plan = SyncPlan(status: .partiallyFailed, failure: nil, counts: counts, items: items, groupChanges: groupChanges, userChanges: userChanges)
        plan.userStamps = userStamps
        return plan
    }
}
