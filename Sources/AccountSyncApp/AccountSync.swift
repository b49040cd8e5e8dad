import AccountSyncConfig
import DatasetFormats
import DirectoryConnector
import Foundation
import Logging
import Pipelining
import SyncCore
import SyncStore

/// The use cases of account-sync, one method each, for the CLI (and later the scheduler) to call.
/// It glues config, store, lock and core together; it prints nothing.
public struct AccountSync: Sendable {
    public let config: Configuration
    public let logger: Logger
    /// The store, opened once and shared by every use case of this application (a server's
    /// requests included), instead of once a call.
    private let stores = StoreCache()

    public init(config: Configuration, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Loads the config file named by `--config`, else `$ACCOUNT_SYNC_CONFIG`, else the default path.
    public static func loadConfig(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(AppError) -> Configuration {
        let file = path ?? environment["ACCOUNT_SYNC_CONFIG"] ?? Configuration.defaultPath
        do {
            return try ConfigLoader.load(path: file)
        } catch {
            throw AppError(error)
        }
    }

    public func openStore() throws(AppError) -> AccountStore {
        try stores.store(at: config.storePath)
    }

    /// Opens the store and runs `body` with it; store errors become `AppError`s.
    public func withStore<T>(_ body: (AccountStore) throws -> T) throws(AppError) -> T {
        let store = try openStore()
        do {
            return try body(store)
        } catch let error as AppError {
            throw error
        } catch let error as StoreError {
            throw AppError(error)
        } catch {
            throw AppError(.storeUnavailable, "\(error)")
        }
    }

    // MARK: Datasets

    /// Reads a dataset file and stores it under `name`, row batch by row batch as the file is read
    /// (a million rows are never in memory at once), replacing an earlier version only when the
    /// whole file is good: one transaction, rolled back at the first bad line.
    public func importDataset(kind: DatasetKind, name: String, file: String) throws(AppError) -> DatasetInfo {
        try checkDatasetName(name)
        return try storeDataset(kind: kind, name: name, source: file) { (rows) throws(DatasetFileError) in
            try DatasetReader(kind: kind).stream(path: file, rows)
        }
    }

    /// Stores an uploaded file (the Admin Center's upload) as a dataset, with the checks of a file
    /// import; its format comes from `fileName`'s extension, and errors name it with the line.
    public func importDataset(kind: DatasetKind, name: String, bytes: [UInt8], fileName: String, actor: String) throws(AppError) -> DatasetInfo {
        try checkDatasetName(name)
        guard let format = DatasetFormat(fileName: fileName) else {
            throw AppError(.dataInvalid, "\(fileName): unknown file type; upload a .csv or .jsonl file")
        }
        return try storeDataset(kind: kind, name: name, source: "\(fileName) (uploaded by \(actor))") { (rows) throws(DatasetFileError) in
            try DatasetReader(kind: kind).stream(bytes: bytes, file: fileName, format: format, rows)
        }
    }

    private func checkDatasetName(_ name: String) throws(AppError) {
        guard !name.trimmingSpaces().isEmpty else { throw AppError(.dataInvalid, "the dataset name must not be empty") }
        guard name.count <= 200, !name.contains(where: { $0.isNewline || $0 == "/" }) else {
            throw AppError(.dataInvalid, "the dataset name must be one line of at most 200 characters, without '/'")
        }
        guard !name.hasPrefix(AccountStore.stagingPrefix) else { throw AppError(.dataInvalid, "dataset names starting with '\(AccountStore.stagingPrefix)' are reserved for pushes in progress") }
    }

    /// Replaces dataset `name` with the rows `read` hands over, batch by batch, in one transaction.
    /// `read` runs on a thread of its own, so parsing the file and writing the store use both
    /// cores; a bad line (or a failed write) ends both and rolls the transaction back.
    private func storeDataset(
        kind: DatasetKind, name: String, source: String,
        read: @escaping @Sendable ((DatasetContents) throws(DatasetFileError) -> Void) throws(DatasetFileError) -> Void
    ) throws(AppError) -> DatasetInfo {
        try withStore { store in
            if let existing = try store.dataset(named: name), existing.kind != kind {
                throw AppError(.dataInvalid, "dataset '\(name)' holds \(existing.kind.rawValue), not \(kind.rawValue); delete it first or choose another name")
            }
            do {
                try store.replaceDataset(name: name, kind: kind, source: source, producing: { (put: @escaping (EncodedRows) -> Bool) throws(DatasetFileError) in
                    try read { (batch) throws(DatasetFileError) in
                        let encoded = switch batch {
                        case .users(let rows): EncodedRows(users: rows)
                        case .groups(let rows): EncodedRows(groups: rows)
                        }
                        guard put(encoded) else { throw DatasetFileError(file: source, line: nil, message: "the import stopped") }
                    }
                }, write: { writer, batch in try writer.append(batch) })
            } catch let error as DatasetFileError {
                throw AppError(error)
            }
            guard let info = try store.dataset(named: name) else { throw AppError(.storeUnavailable, "dataset '\(name)' vanished after import") }
            logger.info("imported dataset", metadata: ["dataset": "\(name)", "kind": "\(kind.rawValue)", "rows": "\(info.rowCount)", "source": "\(source)"])
            return info
        }
    }

    // MARK: The run

    /// What a run should do besides the configured defaults.
    public struct RunOptions: Sendable {
        public var trigger: RunTrigger
        /// An admin's approval: of a tripped run's list (`approval.runId`) or of a number
        /// (`approval.allowDeletions`), recorded on the run with who gave it and why.
        public var approval: RunApproval?
        /// Called after half of the user changes are written, inside the transaction (fault tests).
        public var halfway: (@Sendable () -> Void)?
        /// Who started it through the API or the console (`admin:NAME`, `token:NAME`).
        public var startedBy: String?
        /// Told the run's id as soon as it is recorded, before any work (the API answers with it).
        public var onStarted: (@Sendable (Int64) -> Void)?
        /// Where the run's phase and rows done are kept while it works.
        public var progress: RunProgress?
        /// The connector agent whose push this run syncs.
        public var agent: AgentInfo?
        /// Whether the returned record holds the run's items (a million, for a first big run);
        /// without them, a caller reads them page by page or as a sample.
        public var itemsIncluded = true

        public init(
            trigger: RunTrigger = .manual, approval: RunApproval? = nil, halfway: (@Sendable () -> Void)? = nil,
            startedBy: String? = nil, onStarted: (@Sendable (Int64) -> Void)? = nil, progress: RunProgress? = nil, agent: AgentInfo? = nil
        ) {
            self.agent = agent
            self.trigger = trigger
            self.approval = approval
            self.halfway = halfway
            self.startedBy = startedBy
            self.onStarted = onStarted
            self.progress = progress
        }

        /// `--allow-deletions N`, approved by the invoking user.
        public init(trigger: RunTrigger = .manual, allowDeletions: Int?, halfway: (@Sendable () -> Void)? = nil) {
            self.init(
                trigger: trigger,
                approval: allowDeletions.map { RunApproval(runId: nil, allowDeletions: $0, by: Approver.current(), reason: nil) },
                halfway: halfway)
        }
    }

    /// Runs one sync: takes the lock, records interrupted runs, plans against the store and applies
    /// the plan atomically. Returns the recorded run (with its items).
    public func run(_ options: RunOptions = RunOptions()) throws(AppError) -> RunRecord {
        if !config.syncPinned { return try effective().run(options) }
        let lock: StoreLock
        do { lock = try StoreLock(storePath: config.storePath) } catch { throw AppError(error) }
        defer { withExtendedLifetime(lock) {} }
        let store = try openStore()
        let termination = Termination.shared
        termination.install()
        let approval = try resolve(options.approval, in: store)
        do throws(StoreError) {
            for id in try store.recoverInterruptedRuns() {
                logger.warning("run #\(id) was interrupted (its process died); recorded as failed with INTERRUPTED")
            }
            let runId = try store.beginRun(
                trigger: options.trigger, approval: options.approval, startedBy: options.startedBy, pid: ProcessInfo.processInfo.processIdentifier)
            if let version = config.settingsVersion { try store.setRunSettingsVersion(runId, version: version) }
            if let agent = options.agent { try store.setRunAgent(runId, agent) }
            options.progress?.update(runId: runId, phase: config.source != nil ? .pulling : .planning)
            options.onStarted?(runId)
            defer {
                options.progress?.update(phase: .finished)
                ResidentMemory.releaseFreed()  // a server runs many runs in one process
            }
            logger.notice("run #\(runId) started", metadata: ["trigger": "\(options.trigger.rawValue)", "config": "\(config.file)"])
            if let given = options.approval {
                logger.notice("run #\(runId) is approved by \(given.by)", metadata: [
                    "approvedRun": "\(given.runId.map(String.init) ?? "-")", "allowDeletions": "\(given.allowDeletions.map(String.init) ?? "-")",
                ])
            }
            do throws(StoreError) {
                switch config.source != nil ? try pullIntoStore(store) : .success([]) {
                case .failure(let failure):
                    if termination.requested { throw StoreError(.cancelled, "stopped during the pull") }
                    try store.failRun(runId, failure: failure)
                case .success(let notices):
                    if termination.requested { throw StoreError(.cancelled, "stopped after the pull") }
                    if config.source != nil { ResidentMemory.releaseFreed() }
                    options.progress?.update(phase: .planning)
                    try planAndApply(runId, store: store, approval: approval, notices: notices, halfway: options.halfway, progress: options.progress)
                }
            } catch where error.kind == .cancelled || termination.requested {
                try store.failRun(runId, failure: RunFailure(
                    code: .interrupted,
                    message: "stopped by \(termination.signalName) (systemctl stop, shutdown or Ctrl-C) before it finished; nothing of this run was applied"))
            } catch {
                try? store.failRun(runId, failure: RunFailure(code: .storeError, message: error.message))
                throw error
            }
            guard let record = try store.run(id: runId, itemsIncluded: options.itemsIncluded) else {
                throw StoreError(.unavailable, "run #\(runId) vanished from the store")
            }
            logEnd(record)
            return record
        } catch {
            throw AppError(error)
        }
    }

    /// Turns an admin's approval into what the planner checks. An approval of a run's list must name
    /// a run the safeguard stopped, and is used once.
    func resolve(_ approval: RunApproval?, in store: AccountStore) throws(AppError) -> Approval? {
        guard let approval else { return nil }
        guard let runId = approval.runId else { return approval.allowDeletions.map(Approval.count) }
        let stopped: RunRecord?
        let usedBy: Int64?
        do {
            stopped = try store.run(id: runId)
            usedBy = try store.runApplied(withApprovalOf: runId)
        } catch {
            throw AppError(error)
        }
        guard let stopped else {
            throw AppError(.notFound, "--approve \(runId): there is no run #\(runId) (see: account-sync history --status failed)")
        }
        guard let code = stopped.failure?.code, code == .safeguardTripped || code == .sourceEmpty else {
            throw AppError(.usage, "--approve \(runId): run #\(runId) was not stopped by the safeguard (it is \(stopped.status.rawValue)\(stopped.failure.map { ", \($0.code.rawValue)" } ?? "")); only a run that failed with SAFEGUARD_TRIPPED or SOURCE_EMPTY lists deletions to approve")
        }
        if let usedBy {
            throw AppError(.usage, "--approve \(runId): that approval was already used by run #\(usedBy); an approval is used once. If more deletions are due, run again and approve the run that stops")
        }
        return .listed(ApprovedList(runId: runId, items: stopped.items))
    }

    /// The clock, the window's earlier deletions and the approval, for the planner.
    private func context(runId: Int64?, approval: Approval?, notices: [RunItem] = [], store: AccountStore, now: Date = Date()) throws(StoreError) -> RunContext {
        var recent = DeletionTally()
        if let window = config.policy.safeguard.window {
            recent = try store.deletions(since: now.addingTimeInterval(-Double(window.days) * 86_400))
        }
        let source = config.source.map { source in "pulled from \(source.connection.uris.joined(separator: ", ")) \(Self.scope(source))" }
        return RunContext(now: now, runId: runId, recentDeletions: recent, approval: approval, sourceDescription: source, sourceNotices: notices)
    }

    /// Checks the selected datasets, then plans and applies in one transaction. The rows are read
    /// inside it (a pull has just stored them), without the users the run would leave as they are.
    private func planAndApply(
        _ runId: Int64, store: AccountStore, approval: Approval?, notices: [RunItem], halfway: (@Sendable () -> Void)?, progress: RunProgress?
    ) throws(StoreError) {
        if let failure = try checkDatasets(store) {
            try store.failRun(runId, failure: failure)
            return
        }
        var clock = ContinuousClock.now
        let context = try context(runId: runId, approval: approval, notices: notices, store: store)
        try store.applyStoredRun(
            runId, users: config.usersDataset, groups: config.groupsDataset, fingerprint: config.policy.settlingFingerprint,
            halfway: halfway, isCancelled: { Termination.shared.requested },
            onProgress: { done, total in progress?.update(phase: .applying, done: done, total: total) }
        ) { input in
            let plan = try plan(input, context: context) { users, settled in
                logger.info("run #\(runId): read \(users.rows.count) dataset rows and \(users.existing.count) users to plan (\(settled) rows settled) in \(Self.seconds(since: &clock))")
            }
            logger.info("run #\(runId): planned and wrote the changes in \(Self.seconds(since: &clock))")
            return plan
        }
        logger.info("run #\(runId): finished (indexes, stamps, the run's record) and committed in \(Self.seconds(since: &clock))")
    }

    /// The plan of a run from the stored datasets: the groups, then the user side the store hands
    /// over (`read` is told how much it read). A run and a dry run plan the same way.
    private func plan(_ input: StoredRunInput, context: RunContext, read: (UserInput, Int) -> Void = { _, _ in }) throws -> SyncPlan {
        try SyncPlanner(policy: config.policy).plan(groups: input.groupRows, existingGroups: input.groups, context: context, sink: input.sink) { outcome in
            let users = try input.users(outcome)
            if let users { read(users, input.settledRows) }
            return users
        }
    }

    /// The time since `start` as "1.23 s (memory 512 MiB, peak 800 MiB)", for the log of a run's
    /// phases; `start` moves to now. The memory is the process's resident set, so an admin sizing a
    /// machine sees which phase needs it.
    static func seconds(since start: inout ContinuousClock.Instant) -> String {
        let now = ContinuousClock.now
        let elapsed = now - start
        start = now
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peak = Int(usage.ru_maxrss) / 1024  // KiB on Linux
        let pages = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        let resident = pages.map { "memory \($0 * Int(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576) MiB, " } ?? ""
        return String(format: "%.2f s", seconds) + " (\(resident)peak \(peak) MiB)"
    }

    // MARK: The directory

    /// Pulls from the configured directory. A pull that does not finish throws; nothing is half-read.
    /// With `onUser`, user rows go there as they are mapped, not into the result (see
    /// `DirectoryPuller.pull(password:onUser:)`); an error it throws ends the pull and is rethrown.
    public func pullFromDirectory(onUser: ((UserRow) throws(AppError) -> Void)? = nil) throws(AppError) -> PulledDatasets {
        guard var source = config.source else { throw AppError(.configInvalid, "\(config.file) has no source: section to pull from") }
        source.connection.isCancelled = { Termination.shared.requested }
        let password = try source.password.map { source throws(AppError) in try Secrets.read(source) }
        warnIfVerificationIsOff(source)
        var sinkFailure: AppError?
        let sink = onUser.map { onUser in
            { (row: UserRow) throws in
                do throws(AppError) { try onUser(row) } catch {
                    sinkFailure = error
                    throw error
                }
            }
        }
        do {
            let pulled = try DirectoryPuller(settings: source).pull(password: password, onUser: sink)
            logger.notice("pulled \(pulled.userCount) users and \(pulled.groups.count) groups from \(source.connection.uris.joined(separator: ", "))")
            return pulled
        } catch {
            if let sinkFailure { throw sinkFailure }
            throw AppError(.sourceIncomplete, "the directory pull did not finish, so nothing was changed: \(error)")
        }
    }

    /// Pulls as `pullFromDirectory(onUser:)` does, on a thread of its own, handing the users to
    /// `onBatch` on this thread 10,000 at a time (the last batch may be short, or empty): one core
    /// reads and maps the directory while the other writes the earlier batches, and a million
    /// users are never held at once. Throws the pull's `AppError`, or `onBatch`'s error as it came.
    public func pullFromDirectory(inBatches onBatch: ([UserRow]) throws -> Void) throws -> PulledDatasets {
        let result = PullResult()
        try pipelined(
            batchesOf: Self.pullBatch, stopped: { AppError(.storeUnavailable, "the writer stopped taking the pulled users") },
            producing: { (emit: @escaping (UserRow) throws(AppError) -> Void) throws(AppError) in result.pulled = try pullFromDirectory(onUser: emit) },
            consume: onBatch)
        guard let pulled = result.pulled else { throw AppError(.sourceIncomplete, "the directory pull did not finish") }
        return pulled
    }

    /// Says loudly, on every pull, that the server's identity is not being checked.
    func warnIfVerificationIsOff(_ source: DirectorySettings) {
        if let password = source.password, let warning = Secrets.exposure(of: password) { logger.warning("\(warning)") }
        guard !source.connection.tls.verifyCertificate else { return }
        logger.critical("TLS certificate verification is OFF (source.tls.requireCert: false): anyone who can intercept the connection to \(source.connection.uris.joined(separator: ", ")) can impersonate the directory and read the bind password. Use this for a lab only")
    }

    /// Pulls and stores both datasets for a run, and returns the pull's notices (for the run's
    /// items; the run reads the rows back as it needs them); a failed pull is a run failure
    /// (`SOURCE_INCOMPLETE`, or `CONFIG_INVALID` for a missing password) that stores nothing.
    private func pullIntoStore(_ store: AccountStore) throws(StoreError) -> Result<[RunItem], RunFailure> {
        do {
            let pulled = try streamPull(into: store, refusingEmpty: false)
            for warning in pulled.warnings { logger.warning("\(warning)") }
            return .success(pulled.notices)
        } catch let error as AppError {
            return .failure(RunFailure(code: error.status == .configInvalid ? .configInvalid : .sourceIncomplete, message: error.message))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.unavailable, "cannot store the pulled users in \(config.storePath): \(error)")
        }
    }

    /// `pull` into the store: both datasets, as `run` stores them. Nothing is stored when the pull
    /// fails, or when it found no users while the store holds managed users who are enabled
    /// (SOURCE_EMPTY). Returns the pull's summary; its users went to the store, not into memory.
    public func pullAndStore() throws(AppError) -> PulledDatasets {
        try withStore { store in try streamPull(into: store, refusingEmpty: try store.managedEnabledUserCount() > 0) }
    }

    /// Pulls the directory into `sync.users.dataset` and `sync.groups.dataset`.
    ///
    /// The users go into the store as they are pulled, 10,000 at a time, written on this thread
    /// while the pull maps the next ones on another: a million users are never all in memory. The
    /// dataset's transaction commits only when the pull has finished. Throws the pull's `AppError`
    /// (nothing stored), or the store's error.
    private func streamPull(into store: AccountStore, refusingEmpty: Bool) throws -> PulledDatasets {
        var clock = ContinuousClock.now
        let origin = config.source?.connection.uris.joined(separator: " ") ?? "directory"
        let pulled: PulledDatasets
        if let name = config.usersDataset {
            var result: PulledDatasets?
            try store.replaceDataset(name: name, kind: .users, source: origin) { writer in
                let pulled = try pullFromDirectory(inBatches: { batch in try writer.append(EncodedRows(users: batch, withTexts: false)) })
                // Before the dataset's transaction commits: a refusal stores nothing.
                try refuseEmpty(pulled, if: refusingEmpty)
                result = pulled
            }
            guard let done = result else { throw AppError(.sourceIncomplete, "the directory pull did not finish") }
            pulled = done
        } else {
            pulled = try pullFromDirectory()
            try refuseEmpty(pulled, if: refusingEmpty)
        }
        if let name = config.groupsDataset { try store.replaceDataset(name: name, groups: pulled.groups, source: origin) }
        if let source = config.source { try store.setFacts(MappingFacts.current(source)) }
        logger.info("pulled and stored the datasets in \(Self.seconds(since: &clock))")
        return pulled
    }

    /// SOURCE_EMPTY for `pull` into the store (see `pullAndStore`).
    private func refuseEmpty(_ pulled: PulledDatasets, if refusing: Bool) throws(AppError) {
        if refusing, let warning = emptyPullWarning(pulled) {
            throw AppError(.sourceIncomplete, "\(warning). Nothing was stored; the datasets are as they were")
        }
    }

    /// How many pulled users are handed on at a time (`pullFromDirectory(inBatches:)`).
    private static let pullBatch = 10_000

    /// The pull's summary, handed from the pulling thread.
    private final class PullResult: @unchecked Sendable {
        var pulled: PulledDatasets?
    }

    /// Where a pull looks for people: "under base B with filter F".
    private static func scope(_ source: DirectorySettings) -> String {
        "under base \(source.users.base) with filter \(source.users.filter)"
    }

    /// Plain words for a pull that found no users, naming the base and filter used; nil otherwise.
    public func emptyPullWarning(_ pulled: PulledDatasets) -> String? {
        guard pulled.userCount == 0, let source = config.source else { return nil }
        return "SOURCE_EMPTY: the directory returned no users \(Self.scope(source)). A run would stop with SOURCE_EMPTY rather than disable anyone. Check the base DN, the filter, and that the bind account can still read the people (an account that lost read access sees an empty directory)"
    }

    /// The plan a run would apply now, without applying or recording anything.
    public func dryRun(approval: RunApproval? = nil) throws(AppError) -> SyncPlan {
        if !config.syncPinned { return try effective().dryRun(approval: approval) }
        let store = try openStore()
        let approval = try resolve(approval, in: store)
        do {
            if let failure = try checkDatasets(store) { return .failed(failure) }
            let context = try context(runId: nil, approval: approval, store: store)
            return try store.planStoredRun(users: config.usersDataset, groups: config.groupsDataset, fingerprint: config.policy.settlingFingerprint) { input in
                try plan(input, context: context)
            }
        } catch {
            throw AppError(error)
        }
    }

    /// Why the selected datasets cannot be run from (missing, or of the other kind); nil when they can.
    private func checkDatasets(_ store: AccountStore) throws(StoreError) -> RunFailure? {
        for (name, kind, key) in [(config.usersDataset, DatasetKind.users, "sync.users.dataset"), (config.groupsDataset, .groups, "sync.groups.dataset")] {
            guard let name else { continue }
            guard let info = try store.dataset(named: name) else {
                return RunFailure(
                    code: .datasetMissing,
                    message: "the \(kind == .users ? "user" : "user group") dataset '\(name)' selected in \(key) does not exist (it was deleted?); import it again, or select another dataset in the config")
            }
            guard info.kind == kind else {
                return RunFailure(code: .configInvalid, message: "\(key) selects '\(name)', which is a \(info.kind.rawValue) dataset")
            }
        }
        return nil
    }

    private func logEnd(_ record: RunRecord) {
        if let path = config.metricsTextfile {
            do {
                try MetricsTextfile.write(record, to: path)
            } catch {
                logger.error("\(error)")
            }
        }
        let c = record.counts
        var metadata: Logger.Metadata = [
            "status": "\(record.status.rawValue)",
            "usersCreated": "\(c.usersCreated)", "usersUpdated": "\(c.usersUpdated)", "usersRestored": "\(c.usersRestored)",
            "usersDisabledOnDelete": "\(c.usersDisabledOnDelete)", "usersRemoved": "\(c.usersRemoved)",
            "groupsCreated": "\(c.groupsCreated)", "groupsUpdated": "\(c.groupsUpdated)", "groupsRemoved": "\(c.groupsRemoved)",
            "failed": "\(c.failures)",
        ]
        if let failure = record.failure { metadata["failure"] = "\(failure.code.rawValue)" }
        let level: Logger.Level = record.status == .success ? .notice : (record.status == .failed ? .error : .warning)
        logger.log(level: level, "run #\(record.id) finished: \(record.status.rawValue)\(record.failure.map { " — \($0.message)" } ?? "")", metadata: metadata)
    }

    /// The exit status for a finished run.
    public static func exitStatus(for record: RunRecord) -> ExitStatus {
        switch record.status {
        case .success: .success
        case .partiallyFailed: .partiallyFailed
        case .failed, .running:
            record.failure?.code == .safeguardTripped || record.failure?.code == .sourceEmpty ? .safeguardTripped : .runFailed
        }
    }
}
