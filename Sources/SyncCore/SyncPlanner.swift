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
        var plan = planChanges(users: users, groups: groups, state: state, context: context)
        plan.items += context.sourceNotices
        return plan
    }

    private func planChanges(users: [UserRow]?, groups: [GroupRow]?, state: AccountState, context: RunContext) -> SyncPlan {
        let groupResult: GroupPlanner.Result
        if let groups {
            groupResult = GroupPlanner(policy: policy).plan(rows: groups, existing: state.groups)
        } else {
            var untouched = GroupPlanner.Result()
            untouched.finalGroupIds = Set(state.groups.map(\.groupId))
            untouched.managedIds = Set(state.groups.filter(\.managed).map(\.groupId))
            groupResult = untouched
        }
        let userResult = users.map {
            UserPlanner(policy: policy).plan(rows: $0, existing: state.users, groups: groupResult, now: context.now)
        }

        let guardResult = SafeguardCheck(policy: policy.safeguard, state: state, context: context)
            .check(usersEmpty: users?.isEmpty == true, groupsEmpty: groups?.isEmpty == true, users: userResult, groups: groupResult)
        if let failure = guardResult.failure {
            return .failed(failure, items: guardResult.items)
        }

        var counts = groupResult.counts
        var items = groupResult.items
        var userChanges: [UserChange] = []
        if let userResult {
            let u = userResult.counts
            counts.usersCreated = u.usersCreated
            counts.usersUpdated = u.usersUpdated
            counts.usersRestored = u.usersRestored
            counts.usersDisabledOnCreate = u.usersDisabledOnCreate
            counts.usersFailedNew = u.usersFailedNew
            counts.usersFailedUpdate = u.usersFailedUpdate
            counts.usersNotDeleted = u.usersNotDeleted
            counts.usersDisabledOnDelete = userResult.deletions.filter { $0.action == .disableOnDelete }.count
            counts.usersRemoved = userResult.deletions.filter { $0.action == .remove }.count
            items += userResult.items + userResult.deletionItems
            userChanges = userResult.changes + userResult.deletions
        }
        let groupChanges = groupResult.changes + groupResult.removals

        let succeeded = groupResult.validRows + (userResult?.validRows ?? 0) + counts.changes
        if counts.failures == 0 {
            return SyncPlan(status: .success, failure: nil, counts: counts, items: items, groupChanges: groupChanges, userChanges: userChanges)
        }
        if succeeded == 0 {
            let failure = RunFailure(code: .allItemsFailed, message: "every item failed (\(counts.failures)); nothing could be applied. See the items for each reason")
            return SyncPlan(status: .failed, failure: failure, counts: counts, items: items, groupChanges: [], userChanges: [])
        }
        return SyncPlan(status: .partiallyFailed, failure: nil, counts: counts, items: items, groupChanges: groupChanges, userChanges: userChanges)
    }
}
