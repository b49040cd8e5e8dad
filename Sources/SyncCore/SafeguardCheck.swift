import Foundation

/// The deletion safeguard applied to a plan before anything is written: an empty source, the count,
/// percentage and window limits, the per-group member-removal limit, and an approval that lets one
/// run past them. When it stops a run, it lists who would have gone, so an admin can approve
/// exactly that list.
struct SafeguardCheck {
    let policy: DeletionSafeguard
    /// Managed users who are enabled, and managed groups, before the run (the bases of the limits).
    let managedEnabledUsers: Int
    let managedGroups: Int
    let context: RunContext

    struct Outcome {
        var failure: RunFailure?
        var items: [RunItem] = []
    }

    func check(usersEmpty: Bool, groupsEmpty: Bool, users: UserPlanner.Result?, groups: GroupPlanner.Result) -> Outcome {
        let userDeletions = users?.deletions ?? []
        let groupRemovals = groups.removals
        // Memberships of a removed group go with it; that removal is counted as a group deletion.
        let memberRemovals = (users?.memberRemovals ?? [:]).filter { !groups.removedIds.contains($0.key) }

        var emptiness: [String] = []
        if usersEmpty && managedEnabledUsers > 0 {
            emptiness.append("the user dataset has no rows, but the store holds \(managedEnabledUsers) managed users who are enabled")
        }
        if groupsEmpty && managedGroups > 0 {
            emptiness.append("the user group dataset has no rows, but the store holds \(managedGroups) managed user groups")
        }

        let verb = Self.verb(userDeletions)
        var exceeded: [String] = []
        var memberLimit = policy.maxMembershipRemovalsPerGroup
        if case .count(let approved) = context.approval {
            if userDeletions.count > approved {
                exceeded.append("\(userDeletions.count) users would be \(verb); --allow-deletions approves \(approved)")
            }
            if groupRemovals.count > approved {
                exceeded.append("\(groupRemovals.count) user groups would be removed; --allow-deletions approves \(approved)")
            }
            memberLimit = memberLimit.map { max($0, approved) }
        } else {
            exceeded += limitProblems(
                what: "users", verb: verb, count: userDeletions.count, base: managedEnabledUsers, baseName: "managed users",
                max: policy.maxUserDeletions, maxKey: "maxUserDeletions", percent: policy.maxUserDeletionPercent,
                percentKey: "maxUserDeletionPercent", recent: context.recentDeletions.users,
                windowMax: policy.window?.maxUserDeletions, windowKey: "maxUserDeletions")
            exceeded += limitProblems(
                what: "user groups", verb: "removed", count: groupRemovals.count, base: managedGroups, baseName: "managed user groups",
                max: policy.maxGroupDeletions, maxKey: "maxGroupDeletions", percent: policy.maxGroupDeletionPercent,
                percentKey: "maxGroupDeletionPercent", recent: context.recentDeletions.groups,
                windowMax: policy.window?.maxGroupDeletions, windowKey: "maxGroupDeletions")
        }
        var overGroups: [(group: String, count: Int, limit: Int)] = []
        if let limit = memberLimit {
            for (group, count) in memberRemovals.sorted(by: { $0.key < $1.key }) where count > limit {
                overGroups.append((group, count, limit))
                exceeded.append("group '\(group)' would lose \(count) members; the limit is \(limit) a group (sync.safeguard.maxMembershipRemovalsPerGroup)")
            }
        }

        let wouldGo = items(userDeletions: userDeletions, groupRemovals: groupRemovals, overGroups: overGroups)
        if case .listed(let approved) = context.approval {
            let unlisted = unlisted(by: approved, userDeletions: userDeletions, groupRemovals: groupRemovals, memberRemovals: memberRemovals)
            if unlisted.isEmpty { return Outcome() }
            let shown = unlisted.prefix(20).joined(separator: ", ") + (unlisted.count > 20 ? " and \(unlisted.count - 20) more" : "")
            return Outcome(
                failure: RunFailure(
                    code: .safeguardTripped,
                    message: "the approval of run #\(approved.runId) covers only the deletions that run listed, and this run would also make \(unlisted.count) not on that list: \(shown); nothing was applied. Check the new ones; if the whole list is right, approve it: \(approveHint)"),
                items: wouldGo)
        }
        if !emptiness.isEmpty {
            let source = context.sourceDescription.map { " (\($0))" } ?? ""
            return Outcome(
                failure: RunFailure(
                    code: .sourceEmpty,
                    message: "\(emptiness.joined(separator: "; and ")). An empty source is never taken to mean that everyone left, so nothing was applied. Check the source\(source): the base DN, the search filter, and that the bind account can still read the entries — a search that succeeds with 0 entries looks exactly like this. If the source really is empty now, approve this one run: \(approveHint)"),
                items: wouldGo)
        }
        if !exceeded.isEmpty {
            return Outcome(
                failure: RunFailure(
                    code: .safeguardTripped,
                    message: "the deletion safeguard stopped this run; nothing was applied: \(exceeded.joined(separator: "; ")). Check the list of who would go; if it is right, approve exactly that list: \(approveHint)"),
                items: wouldGo)
        }
        return Outcome()
    }

    /// The per-run count, percentage and window limits of one kind, each exceeded one in words.
    private func limitProblems(
        what: String, verb: String, count: Int, base: Int, baseName: String, max: Int, maxKey: String,
        percent: Double, percentKey: String, recent: Int, windowMax: Int?, windowKey: String
    ) -> [String] {
        guard count > 0 else { return [] }
        var problems: [String] = []
        if count > max {
            problems.append("\(count) \(what) would be \(verb); the limit is \(max) a run (sync.safeguard.\(maxKey))")
        }
        if base >= DeletionSafeguard.percentFloor {
            let share = Double(count) * 100 / Double(base)
            if share > percent {
                problems.append("\(count) of \(base) \(baseName) (\(Self.format(share))%) would be \(verb); the limit is \(Self.format(percent))% (sync.safeguard.\(percentKey))")
            }
        }
        if let window = policy.window, let windowMax, recent + count > windowMax {
            problems.append("\(count) \(what) would be \(verb) and runs of the last \(window.days) days deleted \(recent): \(recent + count) in \(window.days) days; the limit is \(windowMax) (sync.safeguard.window.\(windowKey))")
        }
        return problems
    }

    /// Who would go, as the tripped run's items: the list an approval is bound to.
    private func items(userDeletions: [UserChange], groupRemovals: [GroupChange], overGroups: [(group: String, count: Int, limit: Int)]) -> [RunItem] {
        var items: [RunItem] = []
        for deletion in userDeletions {
            items.append(RunItem(
                kind: .user, key: deletion.record.account, action: deletion.action, code: .safeguardTripped,
                message: "would be \(deletion.action == .remove ? "removed" : "disabled"): no longer in the user dataset"))
        }
        for removal in groupRemovals {
            items.append(RunItem(
                kind: .group, key: removal.record.groupId, action: .remove, code: .safeguardTripped,
                message: "would be removed: no longer in the group dataset"))
        }
        for over in overGroups {
            items.append(RunItem(
                kind: .group, key: over.group, action: .update, code: .safeguardTripped,
                message: MemberRemovalMessage.make(group: over.group, count: over.count, limit: over.limit)))
        }
        return items
    }

    /// The deletions (and over-limit member removals) an approved list does not cover.
    private func unlisted(by approved: ApprovedList, userDeletions: [UserChange], groupRemovals: [GroupChange], memberRemovals: [String: Int]) -> [String] {
        var unlisted: [String] = []
        for deletion in userDeletions where !approved.users.contains(Normalize.account(deletion.record.account)) {
            unlisted.append("user '\(deletion.record.account)'")
        }
        for removal in groupRemovals where !approved.groups.contains(removal.record.groupId) {
            unlisted.append("group '\(removal.record.groupId)'")
        }
        if let limit = policy.maxMembershipRemovalsPerGroup {
            for (group, count) in memberRemovals.sorted(by: { $0.key < $1.key }) where count > limit && count > approved.memberRemovals[group] ?? 0 {
                unlisted.append("\(count) members out of group '\(group)' (approved: \(approved.memberRemovals[group] ?? 0))")
            }
        }
        return unlisted
    }

    private var approveHint: String {
        if let runId = context.runId { return "account-sync run --approve \(runId) --reason \"…\"" }
        return "run it (not as a dry run), then approve the stopped run with account-sync run --approve RUN_ID --reason \"…\""
    }

    /// "disabled", "removed", or "disabled or removed" when a purge removes some while others are disabled.
    private static func verb(_ deletions: [UserChange]) -> String {
        let removes = deletions.contains { $0.action == .remove }
        let disables = deletions.contains { $0.action == .disableOnDelete }
        if removes && disables { return "disabled or removed" }
        return removes ? "removed" : "disabled"
    }

    /// 12.5 → "12.5", 10 → "10".
    static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }
}
