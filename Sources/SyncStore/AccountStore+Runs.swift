import Foundation
import GRDB
import GRDBSQLite
import SyncCore

/// Which runs `history` lists.
public struct RunFilter: Sendable {
    public var from: Date?
    public var to: Date?
    public var statuses: Set<RunStatus>

    public init(from: Date? = nil, to: Date? = nil, statuses: Set<RunStatus> = []) {
        self.from = from
        self.to = to
        self.statuses = statuses
    }
}

/// What an item of a run is: an applied change, a failure, an entry of the list of a run the
/// safeguard stopped, or a warning about the source.
public enum ItemClass: String, Sendable, CaseIterable {
    case change, failure, safeguard, warning

    /// The class of an item with this code.
    public init(code: ItemCode?) {
        switch code {
        case nil: self = .change
        case .safeguardTripped?: self = .safeguard
        case let code? where code.isWarning: self = .warning
        default: self = .failure
        }
    }

    /// The class of a `run_items` row, in SQL.
    static let sql: String = {
        let warnings = ItemCode.allCases.filter(\.isWarning).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return "(CASE WHEN code IS NULL THEN 'change' WHEN code = '\(ItemCode.safeguardTripped.rawValue)' THEN 'safeguard' WHEN code IN (\(warnings)) THEN 'warning' ELSE 'failure' END)"
    }()
}

/// Some of a run's items and how many there are of each kind, action and class (see
/// `AccountStore.runItemSample`).
public struct RunItemSample: Sendable, Equatable {
    /// The first items of each group, in the run's order.
    public var items: [RunItem] = []
    public var counts: [RunItemGroup: Int] = [:]
}

/// Items of a run of one kind, action and class (a section of the run's page).
public struct RunItemGroup: Hashable, Sendable {
    public var kind: ItemKind
    public var action: ItemAction
    public var itemClass: ItemClass

    public init(kind: ItemKind, action: ItemAction, itemClass: ItemClass) {
        self.kind = kind
        self.action = action
        self.itemClass = itemClass
    }

    public init(_ item: RunItem) {
        self.init(kind: item.kind, action: item.action, itemClass: ItemClass(code: item.code))
    }

    /// A tally as the `runs.itemTally` column keeps it: `kind action class count` lines.
    static func encode(_ tally: [RunItemGroup: Int]) -> String {
        tally.map { "\($0.key.kind.rawValue) \($0.key.action.rawValue) \($0.key.itemClass.rawValue) \($0.value)" }.sorted().joined(separator: "\n")
    }

    static func decode(_ text: String) -> [RunItemGroup: Int] {
        var tally: [RunItemGroup: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 4, let kind = ItemKind(rawValue: String(parts[0])), let action = ItemAction(rawValue: String(parts[1])),
                let itemClass = ItemClass(rawValue: String(parts[2])), let count = Int(parts[3])
            else { continue }
            tally[RunItemGroup(kind: kind, action: action, itemClass: itemClass)] = count
        }
        return tally
    }
}

extension AccountStore {
    /// Records a new run as `running` (committed at once, so the history shows it while it works).
    public func beginRun(trigger: RunTrigger, approval: RunApproval? = nil, startedBy: String? = nil, at date: Date = Date(), pid: Int32) throws(StoreError) -> Int64 {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO runs (status, trigger, startedAt, counts, pid, approvalRunId, approvalCount, approvedBy, approvalReason, startedBy)
                    VALUES ('running', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    trigger.rawValue, date, Self.encodeCounts(RunCounts()), pid, approval?.runId, approval?.allowDeletions,
                    approval?.by, approval?.reason, startedBy,
                ])
            return db.lastInsertedRowID
        }
    }

    /// Marks every run still `running` as failed with `INTERRUPTED`. Call it only while holding the
    /// `StoreLock`: then no live process owns those runs.
    @discardableResult
    public func recoverInterruptedRuns(at date: Date = Date()) throws(StoreError) -> [Int64] {
        try write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, pid FROM runs WHERE status = 'running'")
            for row in rows {
                let pid: Int64 = try row.decode(forColumn: "pid")
                try db.execute(
                    sql: "UPDATE runs SET status = 'failed', finishedAt = ?, failureCode = ?, failureMessage = ? WHERE id = ?",
                    arguments: [
                        date, FailureCode.interrupted.rawValue,
                        "the process running it (pid \(pid)) stopped before it finished — a crash, a kill or a restart; nothing of this run was applied",
                        try row.decode(Int64.self, forColumn: "id"),
                    ])
            }
            return try rows.map { try $0.decode(forColumn: "id") }
        }
    }

    /// Whether any run is recorded as `running`.
    public func hasRunningRuns() throws(StoreError) -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM runs WHERE status = 'running')") ?? false }
    }

    /// Users and groups deleted by runs that started at or after `date` and applied, leaving out
    /// runs an administrator approved (their deletions were looked at): the safeguard's window.
    public func deletions(since date: Date) throws(StoreError) -> DeletionTally {
        try read { db in
            var tally = DeletionTally()
            let rows = try String.fetchAll(db, sql: """
                SELECT counts FROM runs WHERE startedAt >= ? AND status IN ('success', 'partially_failed') AND approvedBy IS NULL
                """, arguments: [date])
            for text in rows {
                let counts = Self.decodeCounts(text)
                tally.users += counts.usersDisabledOnDelete + counts.usersRemoved
                tally.groups += counts.groupsRemoved
            }
            return tally
        }
    }

    /// The run that applied with an approval of `runId`'s list, if one did: an approval is used once.
    public func runApplied(withApprovalOf runId: Int64) throws(StoreError) -> Int64? {
        try read { db in
            try Int64.fetchOne(db, sql: """
                SELECT id FROM runs WHERE approvalRunId = ? AND status IN ('success', 'partially_failed') ORDER BY id LIMIT 1
                """, arguments: [runId])
        }
    }

    /// Plans against the store's current state and applies the plan in **one** transaction, together
    /// with the run's history entry and the audit trail. Either all of it is written or none.
    ///
    /// - Parameters:
    ///   - makePlan: computes the plan from the state read inside the transaction.
    ///   - halfway: called after half of the user changes are written, before commit (fault-injection
    ///     tests use it to kill the process mid-apply).
    @discardableResult
    public func applyRun(
        _ runId: Int64, at date: @Sendable () -> Date = { Date() }, halfway: (() -> Void)? = nil,
        isCancelled: @escaping () -> Bool = { false }, onProgress: ((Int, Int) -> Void)? = nil, makePlan: (AccountState) -> SyncPlan
    ) throws(StoreError) -> SyncPlan {
        try write { db in
            let plan = makePlan(try Self.state(db))
            let writer = try RunWriter(db: db, runId: runId, at: date(), halfway: halfway, isCancelled: isCancelled, onProgress: onProgress)
            if plan.failure == nil { try writer.write(whole: plan) }
            try writer.finish(plan)
            return plan
        }
    }

    /// Plans and applies a run from stored datasets, in one transaction like `applyRun`, handing
    /// `makePlan` what it needs to plan without reading the users a run would leave as they are
    /// (see `SettledUsers`), and a sink that writes the changes as they are planned (`PlanSink`).
    /// The plan is the one a full read would give. When it fails after changes were written, the
    /// transaction is rolled back and the failure recorded in one of its own.
    @discardableResult
    public func applyStoredRun(
        _ runId: Int64, users usersDataset: String?, groups groupsDataset: String?, fingerprint: Int64,
        at date: @escaping @Sendable () -> Date = { Date() }, halfway: (() -> Void)? = nil,
        isCancelled: @escaping () -> Bool = { false }, onProgress: ((Int, Int) -> Void)? = nil, makePlan: (StoredRunInput) throws -> SyncPlan
    ) throws(StoreError) -> SyncPlan {
        /// Thrown to roll back what a sink wrote for a plan that failed.
        struct Discarded: Error { var plan: SyncPlan }
        // Also after a rollback: the writer turned the automatic checkpoint off for a bulk creation.
        var runWriter: RunWriter?
        defer { if let deferred = runWriter?.deferredIndexes, !deferred.isEmpty { rebuildBesideCheckpoint(deferred) } }
        do {
            let plan = try queue.write { db in
                let writer = try RunWriter(db: db, runId: runId, at: date(), halfway: halfway, isCancelled: isCancelled, onProgress: onProgress)
                writer.defersIndexes = true
                runWriter = writer
                let plan = try Self.planStored(db, rowReader: queue, users: usersDataset, groups: groupsDataset, fingerprint: fingerprint, sink: writer, makePlan: makePlan)
                if plan.discardsSinkParts && writer.wroteChanges { throw Discarded(plan: plan) }
                // A plan made without the sink holds its changes.
                if plan.failure == nil && !(plan.userChanges.isEmpty && plan.groupChanges.isEmpty) { try writer.write(whole: plan) }
                try writer.finish(plan)
                return plan
            }
            return plan
        } catch let discarded as Discarded {
            let plan = discarded.plan
            try write { db in try Self.finish(runId, status: plan.status, failure: plan.failure, counts: plan.counts, items: plan.items, at: date(), db: db) }
            return plan
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// The plan `applyStoredRun` would apply now, read in one read transaction; nothing is written.
    public func planStoredRun(
        users usersDataset: String?, groups groupsDataset: String?, fingerprint: Int64, makePlan: (StoredRunInput) throws -> SyncPlan
    ) throws(StoreError) -> SyncPlan {
        try read { db in try Self.planStored(db, rowReader: nil, users: usersDataset, groups: groupsDataset, fingerprint: fingerprint, sink: nil, makePlan: makePlan) }
    }

    /// With a sink (a run), the planner runs on a thread of its own while this one writes what it
    /// plans (`PlanningThread`), and a full read reads the rows on a third, through `rowReader`
    /// (the run's transaction is IMMEDIATE: that reader sees what the run sees). A dry run plans
    /// on this thread and reads the rows itself.
    private static func planStored(
        _ db: Database, rowReader: DatabasePool?, users usersDataset: String?, groups groupsDataset: String?, fingerprint: Int64,
        sink: PlanSink?, makePlan: (StoredRunInput) throws -> SyncPlan
    ) throws -> SyncPlan {
        let input = StoredRunInput(
            db: db, rowReader: rowReader, groupRows: try groupsDataset.map { try groupRows(db, dataset: $0) }, groups: try groups(db),
            usersDataset: usersDataset, fingerprint: fingerprint, sink: sink)
        let plan: SyncPlan
        if let sink, rowReader != nil {
            plan = try PlanningThread.plan(writingTo: sink) { thread in
                input.planningThread = thread
                return try makePlan(input)
            }
        } else {
            plan = try makePlan(input)
        }
        if let failure = input.lookupFailure { throw failure }
        return plan
    }

    /// Ends a run that failed before it could plan (dataset missing, source incomplete…).
    public func failRun(_ runId: Int64, failure: RunFailure, at date: Date = Date()) throws(StoreError) {
        try write { db in
            try Self.finish(runId, status: .failed, failure: failure, counts: RunCounts(), items: [], at: date, db: db)
        }
    }

    /// The Update History, newest first, without items; `offset` runs skipped (pages).
    public func runs(_ filter: RunFilter = RunFilter(), limit: Int? = nil, offset: Int = 0) throws(StoreError) -> [RunRecord] {
        try read { db in
            let (whereClause, arguments) = Self.conditions(filter)
            return try Row.fetchAll(db, sql: "SELECT * FROM runs \(whereClause) ORDER BY id DESC LIMIT ? OFFSET ?", arguments: arguments + [limit ?? -1, offset])
                .map { try Self.runRecord($0, items: []) }
        }
    }

    /// How many runs the filter matches.
    public func runCount(_ filter: RunFilter = RunFilter()) throws(StoreError) -> Int {
        try read { db in
            let (whereClause, arguments) = Self.conditions(filter)
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs \(whereClause)", arguments: arguments) ?? 0
        }
    }

    private static func conditions(_ filter: RunFilter) -> (String, StatementArguments) {
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let from = filter.from {
                conditions.append("startedAt >= ?")
                arguments += [from]
            }
            if let to = filter.to {
                conditions.append("startedAt <= ?")
                arguments += [to]
            }
            if !filter.statuses.isEmpty {
                conditions.append("status IN (\(filter.statuses.map { _ in "?" }.joined(separator: ",")))")
                for status in filter.statuses.sorted(by: { $0.rawValue < $1.rawValue }) { arguments += [status.rawValue] }
            }
            return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), arguments)
    }

    /// One run with all its items, or nil.
    /// One run without its items (they may be a million: page them with `runItems`).
    public func run(id: Int64, itemsIncluded: Bool) throws(StoreError) -> RunRecord? {
        guard !itemsIncluded else { return try run(id: id) }
        return try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map { try Self.runRecord($0, items: []) }
        }
    }

    public func run(id: Int64) throws(StoreError) -> RunRecord? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]) else { return nil }
            let items = try Row.fetchAll(db, sql: "SELECT kind, key, action, code, message FROM run_items WHERE runId = ? ORDER BY seq", arguments: [id]).map(Self.runItem)
            return try Self.runRecord(row, items: items)
        }
    }

    /// A page of a run's items in their order, and how many match (`countingAll: false` skips the
    /// count, when the caller knows it): of one kind, with one of
    /// `actions` (all when empty), by `code` (a code, `none` for applied changes, `any` for items
    /// with a code) and by class (changes, failures, the safeguard's list, warnings).
    public func runItems(
        runId: Int64, kind: ItemKind? = nil, actions: [ItemAction] = [], code: String? = nil, itemClass: ItemClass? = nil, limit: Int, offset: Int,
        countingAll: Bool = true
    ) throws(StoreError) -> (items: [RunItem], total: Int) {
        try read { db in
            var conditions = ["runId = ?"]
            var arguments: StatementArguments = [runId]
            if let kind {
                conditions.append("kind = ?")
                arguments += [kind.rawValue]
            }
            if !actions.isEmpty {
                conditions.append("action IN (\(actions.map { _ in "?" }.joined(separator: ", ")))")
                arguments += StatementArguments(actions.map(\.rawValue))
            }
            switch code {
            case nil: break
            case "none": conditions.append("code IS NULL")
            case "any": conditions.append("code IS NOT NULL")
            case let code?:
                conditions.append("code = ?")
                arguments += [code]
            }
            if let itemClass {
                conditions.append("\(ItemClass.sql) = ?")
                arguments += [itemClass.rawValue]
            }
            let whereClause = conditions.joined(separator: " AND ")
            let items = try Row.fetchAll(
                db, sql: "SELECT kind, key, action, code, message FROM run_items WHERE \(whereClause) ORDER BY seq LIMIT ? OFFSET ?",
                arguments: arguments + [limit, offset]
            ).map(Self.runItem)
            guard countingAll else { return (items, offset + items.count) }
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM run_items WHERE \(whereClause)", arguments: arguments) ?? 0
            return (items, total)
        }
    }

    /// How many items of a run fall in each kind, action and class (the run's page shows its
    /// sections from this, then reads a few items of each): as written when the run ended, else
    /// counted in one pass over its items (runs recorded before the tally was kept).
    public func runItemTally(runId: Int64) throws(StoreError) -> [RunItemGroup: Int] {
        try read { db in
            if let text = try String.fetchOne(db, sql: "SELECT itemTally FROM runs WHERE id = ?", arguments: [runId]) {
                return RunItemGroup.decode(text)
            }
            var tally: [RunItemGroup: Int] = [:]
            let rows = try Row.fetchAll(
                db, sql: "SELECT kind, action, \(ItemClass.sql), COUNT(*) FROM run_items WHERE runId = ? GROUP BY 1, 2, 3", arguments: [runId])
            for row in rows {
                guard let kind = ItemKind(rawValue: try row.decode(atIndex: 0)), let action = ItemAction(rawValue: try row.decode(atIndex: 1)),
                    let itemClass = ItemClass(rawValue: try row.decode(atIndex: 2))
                else { continue }
                tally[RunItemGroup(kind: kind, action: action, itemClass: itemClass), default: 0] += try row.decode(atIndex: 3)
            }
            return tally
        }
    }

    /// The first `perGroup` items of each kind, action and class of a run, in the run's order, and
    /// how many items each of those groups holds: what a summary of a run shows (the CLI prints 20
    /// of each section), read in one pass without keeping a million items. Any list of a run's
    /// items that is cut at N per section, for sections made of such groups, is within the sample.
    public func runItemSample(runId: Int64, perGroup: Int) throws(StoreError) -> RunItemSample {
        try read { db in
            var sample = RunItemSample()
            try db.eachRow("SELECT kind, action, code, key, message FROM run_items WHERE runId = ? ORDER BY seq", arguments: [runId]) { row in
                func text(_ column: Int32) -> String? {
                    sqlite3_column_text(row, column).map { String(cString: $0) }
                }
                // The key and message are read only for the items kept.
                var item = Self.runItem(kind: text(0), key: "", action: text(1), code: text(2), message: "")
                let group = RunItemGroup(item)
                let count = sample.counts[group, default: 0] + 1
                sample.counts[group] = count
                if count <= perGroup {
                    item.key = text(3) ?? ""
                    item.message = text(4) ?? ""
                    sample.items.append(item)
                }
                return true
            }
            return sample
        }
    }

    private static func runItem(_ item: Row) throws -> RunItem {
        runItem(
            kind: try item.decode(atIndex: 0), key: try item.decode(atIndex: 1), action: try item.decode(atIndex: 2),
            code: try item.decode(String?.self, atIndex: 3), message: try item.decode(atIndex: 4))
    }

    /// A stored item from its columns' texts: a kind or action this version does not know reads
    /// as a user update, a code it does not know as none.
    private static func runItem(kind: String?, key: String, action: String?, code: String?, message: String) -> RunItem {
        RunItem(
            kind: kind.flatMap(ItemKind.init(rawValue:)) ?? .user, key: key, action: action.flatMap(ItemAction.init(rawValue:)) ?? .update,
            code: code.flatMap(ItemCode.init(rawValue:)), message: message)
    }

    static func finish(
        _ runId: Int64, status: RunStatus, failure: RunFailure?, counts: RunCounts, items: [RunItem], at date: Date, db: Database
    ) throws {
        let writer = try RunItemWriter(db: db, runId: runId)
        try writer.append(items)
        try writer.record(status: status, failure: failure, counts: counts, at: date.databaseValue)
    }

    private static func runRecord(_ row: Row, items: [RunItem]) throws -> RunRecord {
        let code: String? = try row.decode(forColumn: "failureCode")
        let message: String? = try row.decode(forColumn: "failureMessage")
        let failure = code.flatMap(FailureCode.init(rawValue:)).map { RunFailure(code: $0, message: message ?? "") }
        let approvedBy: String? = try row.decode(forColumn: "approvedBy")
        let approval = try approvedBy.map { by in
            RunApproval(runId: try row.decode(forColumn: "approvalRunId"), allowDeletions: try row.decode(forColumn: "approvalCount"), by: by, reason: try row.decode(forColumn: "approvalReason"))
        }
        var record = RunRecord(
            id: try row.decode(forColumn: "id"), status: RunStatus(rawValue: try row.decode(forColumn: "status")) ?? .failed,
            trigger: RunTrigger(rawValue: try row.decode(forColumn: "trigger")) ?? .manual, startedAt: try row.decode(forColumn: "startedAt"),
            finishedAt: try row.decode(forColumn: "finishedAt"), failure: failure, counts: decodeCounts(try row.decode(forColumn: "counts")), items: items, approval: approval,
            startedBy: try row.decode(forColumn: "startedBy"))
        record.settingsVersion = try row.decode(forColumn: "settingsVersion")
        if let name: String = try row.decode(forColumn: "agent") {
            record.agent = AgentInfo(name: name, source: try row.decode(forColumn: "agentSource") ?? "")
        }
        return record
    }

    private static func decodeCounts(_ text: String) -> RunCounts {
        (try? JSONDecoder().decode(RunCounts.self, from: Data(text.utf8))) ?? RunCounts()
    }

    static func encodeCounts(_ counts: RunCounts) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(counts)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

extension AccountStore {
    /// After a run that created more users than the store held (a first run): builds the indexes
    /// it dropped, in a transaction of its own, while another connection copies the run's commit
    /// from the WAL into the store (a checkpoint, which the commit skipped), then copies what the
    /// build wrote. The two take about as long and use both cores: at a million users from a
    /// dataset the run took 12.1–12.6 s instead of 15.4–15.5 s (by hand), at 100,000 1.1–1.3 s
    /// instead of 1.3–1.4 s.
    ///
    /// The run's changes are already committed, whole; the indexes only speed up reading them. If
    /// the process dies before they are built, the next run builds them first (`RunWriter`), and
    /// reads in between are right but slower. A failure here leaves the same to the next run,
    /// which then reports it as a store error. After a rollback the indexes are there again: the
    /// build finds nothing to do, and the automatic checkpoint is turned back on all the same.
    func rebuildBesideCheckpoint(_ indexes: [(String, String)]) {
        let copied = DispatchSemaphore(value: 0)
        let path = self.path
        Thread.detachNewThread {
            // A connection of its own: the pool's readers are read-only and its writer is busy.
            // PASSIVE: copies what no reader still needs, and never waits for a lock.
            _ = try? DatabaseQueue(path: path).writeWithoutTransaction { db in try db.checkpoint(.passive) }
            copied.signal()
        }
        _ = try? queue.write { db in try Schema.createMissingIndexes(indexes, db) }
        copied.wait()
        _ = try? queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 1000")  // SQLite's default, as before the run
            _ = try db.checkpoint(.passive)
        }
    }
}
