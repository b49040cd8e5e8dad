/// Validates the group dataset and plans group creates, updates and removals.
///
/// Rules: a group id is required and unique; names and ids respect the limits; a parent must exist
/// after the run (a valid row of the dataset or a group that stays), must not be the group itself
/// and must not close a cycle of any length. Failures cascade: a new group whose parent failed
/// fails too, with a message naming that parent.
struct GroupPlanner {
    let policy: SyncPolicy

    struct Result {
        var changes: [GroupChange] = []
        var removals: [GroupChange] = []
        var items: [RunItem] = []
        var counts = RunCounts()
        /// Every group id that exists after the run (for checking users' memberships).
        var finalGroupIds: Set<String> = []
        /// Why a dataset row's group is missing after the run, by id (for users' UNKNOWN_GROUP messages).
        var failedIds: [String: ItemCode] = [:]
        /// Groups that will be removed: memberships in them are dropped.
        var removedIds: Set<String> = []
        /// Groups the sync owns after the run (its memberships are the dataset's to set).
        var managedIds: Set<String> = []
        var validRows = 0
    }

    func plan(rows: [GroupRow], existing: [ExistingGroup]) -> Result {
        var result = Result()
        let existingById = Dictionary(existing.map { ($0.groupId, $0) }, uniquingKeysWith: { first, _ in first })
        let rows = rows.map { row in
            GroupRow(
                groupId: row.groupId.trimmingSpaces(), name: row.name.trimmingSpaces(),
                parentGroupId: row.parentGroupId.trimmingSpaces(), externalId: row.externalId.trimmingSpaces(),
                thirdParty: row.thirdParty)
        }
        var occurrences: [String: Int] = [:]
        for row in rows where !row.groupId.isEmpty { occurrences[row.groupId, default: 0] += 1 }

        // 1. Checks of each row on its own.
        var valid: [String: GroupRow] = [:]
        var validOrder: [String] = []
        var failures: [(index: Int, code: ItemCode, message: String)] = []
        for (index, row) in rows.enumerated() {
            let problems = rowProblems(row, occurrences: occurrences[row.groupId] ?? 0)
            if problems.isEmpty {
                valid[row.groupId] = row
                validOrder.append(row.groupId)
            } else {
                for problem in problems { failures.append((index, problem.code, problem.message)) }
                if let first = problems.first, !row.groupId.isEmpty, result.failedIds[row.groupId] == nil {
                    result.failedIds[row.groupId] = first.code
                }
            }
        }

        // 2. Managed groups missing from the dataset are removed, unless they still own resources.
        let datasetIds = Set(rows.map(\.groupId))
        var remaining: [String: ExistingGroup] = [:]
        for group in existing {
            if group.managed && !datasetIds.contains(group.groupId) {
                let record = GroupRecord(
                    groupId: group.groupId, name: group.name, parentGroupId: group.parentGroupId,
                    externalId: group.externalId, thirdParty: group.thirdParty)
                if policy.safeguard.protection.groups.contains(group.groupId) {
                    result.counts.groupsNotDeleted += 1
                    result.items.append(RunItem(
                        kind: .group, key: group.groupId, action: .remove, code: .protected,
                        message: "group '\(group.groupId)' (\(group.name)) is no longer in the group dataset but is protected (listed in sync.safeguard.protect.groups); it was kept. To let a run remove it, take it off that list"))
                    remaining[group.groupId] = group
                } else if group.ownsResources {
                    result.counts.groupsNotDeleted += 1
                    result.items.append(RunItem(
                        kind: .group, key: group.groupId, action: .remove, code: .resourcesNotTransferred,
                        message: "group '\(group.groupId)' (\(group.name)) is no longer in the group dataset but still owns resources; transfer them, then the next run removes it"))
                    remaining[group.groupId] = group
                } else {
                    result.removals.append(GroupChange(action: .remove, existingId: group.id, record: record, fieldChanges: []))
                    result.removedIds.insert(group.groupId)
                }
            } else {
                remaining[group.groupId] = group
            }
        }

        // 3. Parents: must exist after the run and must not form a cycle; repeat until stable because
        //    a failed group takes its new children with it.
        var changed = true
        while changed {
            changed = false
            for id in validOrder where valid[id] != nil {
                let row = valid[id]!
                guard !row.parentGroupId.isEmpty else { continue }
                if valid[row.parentGroupId] == nil && remaining[row.parentGroupId] == nil {
                    let why: String
                    if let code = result.failedIds[row.parentGroupId] {
                        why = "parent group '\(row.parentGroupId)' failed itself (\(code.rawValue))"
                    } else if result.removedIds.contains(row.parentGroupId) {
                        why = "parent group '\(row.parentGroupId)' is no longer in the group dataset"
                    } else {
                        why = "parent group '\(row.parentGroupId)' does not exist in the group dataset or the system"
                    }
                    valid[id] = nil
                    result.failedIds[id] = .groupParentNotFound
                    failures.append((rowIndex(of: id, in: rows), .groupParentNotFound, "incorrect parent group id: \(why)"))
                    changed = true
                }
            }
            for cycle in cycles(valid: valid, order: validOrder, remaining: remaining) {
                let path = (cycle + [cycle[0]]).map { "'\($0)'" }.joined(separator: " → ")
                for id in cycle where valid[id] != nil {
                    valid[id] = nil
                    result.failedIds[id] = .groupParentCycle
                    failures.append((rowIndex(of: id, in: rows), .groupParentCycle, "incorrect parent group id: the parent chain \(path) is a cycle"))
                    changed = true
                }
            }
        }

        // 4. Failed rows become items, in dataset order.
        failures.sort { $0.index < $1.index }
        var failedRows = Set<Int>()
        for failure in failures {
            let row = rows[failure.index]
            let isUpdate = existingById[row.groupId] != nil
            if failedRows.insert(failure.index).inserted {
                if isUpdate { result.counts.groupsFailedUpdate += 1 } else { result.counts.groupsFailedNew += 1 }
            }
            result.items.append(RunItem(
                kind: .group, key: row.groupId.isEmpty ? "row \(failure.index + 1)" : row.groupId,
                action: isUpdate ? .update : .create, code: failure.code, message: failure.message))
        }

        // 5. Creates and updates of the valid rows.
        for id in validOrder {
            guard let row = valid[id] else { continue }
            result.validRows += 1
            var record = GroupRecord(groupId: row.groupId, name: row.name, parentGroupId: row.parentGroupId, externalId: row.externalId, thirdParty: row.thirdParty)
            if let current = existingById[id] {
                if record.externalId.isEmpty { record.externalId = current.externalId }
                var fieldChanges = diff(current, record)
                if !current.managed { fieldChanges.append(FieldChange(field: "managed", old: "false", new: "true")) }
                if !fieldChanges.isEmpty {
                    result.changes.append(GroupChange(action: .update, existingId: current.id, record: record, fieldChanges: fieldChanges))
                    result.counts.groupsUpdated += 1
                    result.items.append(RunItem(kind: .group, key: id, action: .update, message: describe(fieldChanges)))
                }
            } else {
                result.changes.append(GroupChange(action: .create, existingId: nil, record: record, fieldChanges: []))
                result.counts.groupsCreated += 1
                result.items.append(RunItem(kind: .group, key: id, action: .create, message: "created '\(row.name)'"))
            }
        }
        for removal in result.removals {
            result.items.append(RunItem(kind: .group, key: removal.record.groupId, action: .remove, message: "removed '\(removal.record.name)': no longer in the group dataset"))
        }
        result.counts.groupsRemoved = result.removals.count

        result.finalGroupIds = Set(valid.keys).union(remaining.keys)
        result.managedIds = Set(valid.keys).union(remaining.values.filter(\.managed).map(\.groupId))
        return result
    }

    private func rowProblems(_ row: GroupRow, occurrences: Int) -> [(code: ItemCode, message: String)] {
        var problems: [(code: ItemCode, message: String)] = []
        if row.groupId.isEmpty {
            problems.append((.missingRequiredField, "groupId is empty"))
            return problems
        }
        if occurrences > 1 {
            problems.append((.duplicateGroupId, "group id '\(row.groupId)' appears \(occurrences) times in the group dataset; none of them is applied"))
        }
        if row.groupId.limitLength > policy.limits.groupId {
            problems.append((.valueTooLong, "groupId is \(row.groupId.limitLength) characters; the limit is \(policy.limits.groupId)"))
        }
        if row.name.limitLength > policy.limits.groupName {
            problems.append((.valueTooLong, "name is \(row.name.limitLength) characters; the limit is \(policy.limits.groupName)"))
        }
        if row.parentGroupId == row.groupId {
            problems.append((.groupParentIsSelf, "incorrect parent group id: the parent group id '\(row.parentGroupId)' is the group's own id"))
        }
        return problems
    }

    /// The cycles of the parent graph after the run, each as the list of its group ids.
    private func cycles(valid: [String: GroupRow], order: [String], remaining: [String: ExistingGroup]) -> [[String]] {
        func parent(of id: String) -> String? {
            let parent = valid[id]?.parentGroupId ?? remaining[id]?.parentGroupId ?? ""
            return parent.isEmpty ? nil : parent
        }
        enum Mark { case onPath, done }
        var marks: [String: Mark] = [:]
        var found: [[String]] = []
        for start in order where valid[start] != nil && marks[start] == nil {
            var path: [String] = []
            var node: String? = start
            while let current = node, marks[current] == nil {
                marks[current] = .onPath
                path.append(current)
                node = parent(of: current)
            }
            if let current = node, marks[current] == .onPath, let from = path.firstIndex(of: current) {
                found.append(Array(path[from...]))
            }
            for id in path { marks[id] = .done }
        }
        return found
    }

    private func rowIndex(of id: String, in rows: [GroupRow]) -> Int {
        rows.firstIndex { $0.groupId == id } ?? 0
    }

    private func diff(_ current: ExistingGroup, _ record: GroupRecord) -> [FieldChange] {
        var changes: [FieldChange] = []
        if current.name != record.name { changes.append(FieldChange(field: "name", old: current.name, new: record.name)) }
        if current.parentGroupId != record.parentGroupId {
            changes.append(FieldChange(field: "parentGroupId", old: current.parentGroupId, new: record.parentGroupId))
        }
        if current.externalId != record.externalId {
            changes.append(FieldChange(field: "externalId", old: current.externalId, new: record.externalId))
        }
        if current.thirdParty != record.thirdParty {
            changes.append(FieldChange(field: "thirdParty", old: UserRecord.render(current.thirdParty), new: UserRecord.render(record.thirdParty)))
        }
        return changes
    }
}

/// "name: 'a' → 'b'; email: …" — a one-line summary of field changes for item messages.
func describe(_ changes: [FieldChange]) -> String {
    changes.map { "\($0.field): '\($0.old)' → '\($0.new)'" }.joined(separator: "; ")
}

extension GroupPlanner.Result {
    /// Which existing groups' members cannot be settled in this run: groups removed, groups whose
    /// row fails (their members' rows name an unknown group), groups gone, and groups the sync
    /// takes over (memberships an admin added stop being kept).
    func outcome(existing: [ExistingGroup]) -> GroupOutcome {
        var unsettling = removedIds
        for group in existing {
            let id = group.groupId
            if !finalGroupIds.contains(id) || failedIds[id] != nil || managedIds.contains(id) != group.managed {
                unsettling.insert(id)
            }
        }
        return GroupOutcome(unsettling: unsettling)
    }
}
