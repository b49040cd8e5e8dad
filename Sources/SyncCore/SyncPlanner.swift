import Foundation

/// Computes what one run will do: validates both datasets against the current accounts, plans every
/// change, and applies the deletion safeguard and the license.
///
/// ```swift
/// let plan = SyncPlanner(policy: policy).plan(users: userRows, groups: groupRows, state: state, context: context)
/// if plan.failure == nil { try store.applyRun(runId) { _ in plan } }
/// ```
/// Pure: no I/O but what a `PlanSink` it is given does; the clock comes in the context. A `nil`
/// dataset means that part is not synced (its accounts stay as they are).
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
        // Without a sink, and with a closure that cannot throw, nothing throws.
        (try? plan(groups: groups, existingGroups: state.groups, context: context) { _ in
            users.map { UserInput(rows: $0, existing: state.users) }
        }) ?? .failed(RunFailure(code: .storeError, message: "the plan could not be made"))
    }

    /// Plans the groups first, then asks `users` for the user side, telling it which groups' members
    /// cannot be taken as settled (see `SettledUsers`). `users` returns nil when users are not synced.
    ///
    /// With a `sink`, the changes and items go there as they are planned (see `PlanSink`), and the
    /// plan returned holds only the counts, the outcome, the stamps and the items left to write.
    /// When it fails with `discardsSinkParts`, what the sink was given must not be applied.
    public func plan(
        groups: [GroupRow]?, existingGroups: [ExistingGroup], context: RunContext, sink: PlanSink? = nil,
        users: (GroupOutcome) throws -> UserInput?
    ) throws -> SyncPlan {
        var plan = try planChanges(groups: groups, existingGroups: existingGroups, context: context, sink: sink, users: users)
        plan.items += context.sourceNotices
        return plan
    }

    private func planChanges(
        groups: [GroupRow]?, existingGroups: [ExistingGroup], context: RunContext, sink: PlanSink?, users: (GroupOutcome) throws -> UserInput?
    ) throws -> SyncPlan {
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
        let managedEnabledUsers = (userInput?.existing.count { $0.managed && !$0.disabled } ?? 0) + (userInput?.settled?.enabled ?? 0)
        let usersEmpty = userInput?.totalRows == 0
        let safeguard = SafeguardCheck(
            policy: policy.safeguard, managedEnabledUsers: managedEnabledUsers,
            managedGroups: existingGroups.count { $0.managed }, context: context)
        func check(_ users: UserPlanner.Result?) -> SafeguardCheck.Outcome {
            safeguard.check(usersEmpty: usersEmpty, groupsEmpty: groups?.isEmpty == true, users: users, groups: groupResult)
        }

        /// The first parts: the groups' creations and updates with their items, before any user's.
        func startSink(_ sink: PlanSink, steps: Int, unmatchedRows: Int) throws {
            try sink.begin(steps: steps, unmatchedRows: unmatchedRows)
            try sink.write(PlanPart(groupChanges: groupResult.changes, items: groupResult.items))
        }
        // Set when the deletions alone stop the run (an empty or partial source, too many leavers):
        // the rows are still planned, for the safeguard's full list, but nothing goes to the sink.
        // The rows can only add to what trips it, so the check after them stops the run too.
        var stopped = false
        if let sink, userInput == nil, check(nil).failure == nil { try startSink(sink, steps: 0, unmatchedRows: 0) }
        var userResult = try userInput.map { input in
            let stream = sink.map { sink in
                UserPlanner.Stream(
                    deletionsPlanned: { result, unmatchedRows in
                        if check(result).failure != nil {
                            stopped = true
                            return
                        }
                        // The deletions stay in the result too: the safeguard lists them if it stops the run.
                        try startSink(sink, steps: result.deletions.count + input.rows.count, unmatchedRows: unmatchedRows)
                        try sink.write(PlanPart(userChanges: result.deletions, stepsDone: result.deletions.count))
                    },
                    rowsPlanned: { result, rows in
                        if !stopped {
                            try sink.write(PlanPart(userChanges: result.changes, items: result.items, stepsDone: result.deletions.count + rows))
                        }
                        result.changes = []
                        result.items = []
                    })
            }
            return try UserPlanner(policy: policy).plan(input, groups: groupResult, now: context.now, stream: stream)
        }
        userInput = nil  // the rows, now planned: a million of them is a few hundred MB

        let guardResult = check(userResult)
        if let failure = guardResult.failure {
            var plan = SyncPlan.failed(failure, items: guardResult.items)
            plan.discardsSinkParts = sink != nil
            return plan
        }

        var counts = groupResult.counts
        var items = sink == nil ? groupResult.items : []
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
            if sink == nil {
                userChanges = result.changes
                result.changes = []
                userChanges += result.deletions
            }
        }
        var groupChanges = groupResult.changes + groupResult.removals

        let succeeded = groupResult.validRows + userValidRows + counts.changes
        if counts.failures > 0 && succeeded == 0 {
            // Nothing was changed, so whatever a sink was given (items only) stands.
            let failure = RunFailure(code: .allItemsFailed, message: "every item failed (\(counts.failures)); nothing could be applied. See the items for each reason")
            return SyncPlan(status: .failed, failure: failure, counts: counts, items: items, groupChanges: [], userChanges: [])
        }
        if let sink {
            // The last part: the groups' removals, after every membership has moved, and the
            // deletions' items, which the run lists after the rows'.
            try sink.write(PlanPart(groupChanges: groupResult.removals, items: items))
            items = []
            groupChanges = []
        }
        var plan = SyncPlan(
            status: counts.failures == 0 ? .success : .partiallyFailed, failure: nil, counts: counts, items: items,
            groupChanges: groupChanges, userChanges: userChanges)
        plan.userStamps = userStamps
        return plan
    }
}
