/// Computes what one run will do: validates both datasets against the current accounts, plans every
/// change, and applies the deletion safeguard and the license.
///
/// ```swift
/// let plan = SyncPlanner(policy: policy).plan(users: userRows, groups: groupRows, state: state)
/// if plan.failure == nil { try store.apply(plan) }
/// ```
/// Pure: no I/O, no clock. A `nil` dataset means that part is not synced (its accounts stay as they are).
public struct SyncPlanner: Sendable {
    public var policy: SyncPolicy

    public init(policy: SyncPolicy) {
        self.policy = policy
    }

    /// - Parameter allowDeletions: an administrator's approval for this one run to delete up to this
    ///   many users and this many groups, whatever the safeguard says.
    public func plan(users: [UserRow]?, groups: [GroupRow]?, state: AccountState, allowDeletions: Int? = nil) -> SyncPlan {
        let groupResult: GroupPlanner.Result
        if let groups {
            groupResult = GroupPlanner(policy: policy).plan(rows: groups, existing: state.groups)
        } else {
            var untouched = GroupPlanner.Result()
            untouched.finalGroupIds = Set(state.groups.map(\.groupId))
            untouched.managedIds = Set(state.groups.filter(\.managed).map(\.groupId))
            groupResult = untouched
        }
        let userResult = users.map { UserPlanner(policy: policy).plan(rows: $0, existing: state.users, groups: groupResult) }

        // The deletion safeguard: nothing is applied when a run deletes more than allowed.
        let userDeletions = userResult?.deletions.count ?? 0
        let groupDeletions = groupResult.removals.count
        let maxUsers = allowDeletions ?? policy.safeguard.maxUserDeletions
        let maxGroups = allowDeletions ?? policy.safeguard.maxGroupDeletions
        if userDeletions > maxUsers || groupDeletions > maxGroups {
            var items: [RunItem] = []
            for deletion in userResult?.deletions ?? [] {
                items.append(RunItem(
                    kind: .user, key: deletion.record.account, action: deletion.action, code: .safeguardTripped,
                    message: "would be \(deletion.action == .remove ? "removed" : "disabled"): no longer in the user dataset"))
            }
            for removal in groupResult.removals {
                items.append(RunItem(
                    kind: .group, key: removal.record.groupId, action: .remove, code: .safeguardTripped,
                    message: "would be removed: no longer in the group dataset"))
            }
            let approval = max(userDeletions, groupDeletions)
            let message = "this run would delete \(userDeletions) users (limit \(maxUsers)) and \(groupDeletions) groups (limit \(maxGroups)); nothing was applied. Check the list of who would go; if it is right, approve this one run with --allow-deletions \(approval)"
            return .failed(RunFailure(code: .safeguardTripped, message: message), items: items)
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
