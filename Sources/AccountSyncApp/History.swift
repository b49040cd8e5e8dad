import SyncCore
import SyncStore

extension AccountSync {
    /// The Update History, newest first. A run left `running` by a process that is gone is settled
    /// as `INTERRUPTED` first, so no reader ever sees a dead run as running.
    public func history(_ filter: RunFilter = RunFilter(), limit: Int? = nil, offset: Int = 0) throws(AppError) -> [RunRecord] {
        try withStore { store in
            try settleDeadRuns(store)
            return try store.runs(filter, limit: limit, offset: offset)
        }
    }

    /// One page of the history and the number of runs the filter matches.
    public func historyPage(_ filter: RunFilter, page: Int, perPage: Int) throws(AppError) -> (runs: [RunRecord], total: Int) {
        try withStore { store in
            try settleDeadRuns(store)
            return (try store.runs(filter, limit: perPage, offset: (page - 1) * perPage), try store.runCount(filter))
        }
    }

    /// One run with its items, or nil; settled like `history`.
    /// - Parameter includingItems: false reads the run alone (its items may be a million).
    public func runDetail(id: Int64, includingItems: Bool = true) throws(AppError) -> RunRecord? {
        try withStore { store in
            try settleDeadRuns(store)
            return try store.run(id: id, itemsIncluded: includingItems)
        }
    }

    /// The first `perGroup` items of each kind, action and class of a run, with each group's count:
    /// enough to print N items of every section without reading a million.
    public func runItemSample(id: Int64, perGroup: Int) throws(AppError) -> RunItemSample {
        try withStore { try $0.runItemSample(runId: id, perGroup: perGroup) }
    }

    /// One page of a run's items, filtered; nil when there is no such run.
    public func runItems(
        id: Int64, kind: ItemKind?, actions: [ItemAction] = [], code: String? = nil, itemClass: ItemClass? = nil, page: Int, perPage: Int,
        countingAll: Bool = true
    ) throws(AppError) -> Page<RunItem>? {
        try withStore { store in
            guard try store.run(id: id, itemsIncluded: false) != nil else { return nil }
            let found = try store.runItems(
                runId: id, kind: kind, actions: actions, code: code, itemClass: itemClass, limit: perPage, offset: (page - 1) * perPage,
                countingAll: countingAll)
            return Page(items: found.items, page: page, perPage: perPage, total: found.total)
        }
    }

    /// How many items of a run fall in each kind, action and class.
    public func runItemTally(id: Int64) throws(AppError) -> [RunItemGroup: Int] {
        try withStore { try $0.runItemTally(runId: id) }
    }

    /// The run that used the approval of a stopped run's list, if one did (an approval is used once).
    public func approvalUsedBy(runId: Int64) throws(AppError) -> Int64? {
        try withStore { try $0.runApplied(withApprovalOf: runId) }
    }

    /// Records runs still `running` as `INTERRUPTED` when the run lock is free (their process is
    /// dead). When a live run holds the lock, or the lock cannot be taken here (a reader without
    /// write access), the history is left as it is.
    private func settleDeadRuns(_ store: AccountStore) throws(StoreError) {
        guard try store.hasRunningRuns() else { return }
        guard let lock = try? StoreLock(storePath: config.storePath) else { return }
        try withExtendedLifetime(lock) { () throws(StoreError) in
            for id in try store.recoverInterruptedRuns() {
                logger.warning("run #\(id) was interrupted (its process died); recorded as failed with INTERRUPTED")
            }
        }
    }
}
