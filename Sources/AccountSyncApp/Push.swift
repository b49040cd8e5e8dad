import Crypto
import DatasetFormats
import Foundation
import SyncCore
import SyncStore

/// One dataset arriving from a connector agent, written as it arrives into a staging area that no
/// run ever reads: JSON Lines in (already decompressed), rows checked line by line, stored in
/// batches, counted and hashed. Only `finish` with the count and SHA-256 the agent announced makes
/// it eligible for the commit; anything else (`abandon`, a dropped connection) drops it.
public final class StagedUpload: @unchecked Sendable {
    public let stagingName: String
    private let app: AccountSync
    private var stream: JSONLinesStream
    private var hash = SHA256()
    private var batchUsers: [UserRow] = []
    private var batchGroups: [GroupRow] = []
    private var stored = 0
    private static let batchSize = 5_000

    /// Starts an empty staged dataset (a restart of the same upload starts it anew).
    public init(app: AccountSync, stagingName: String, kind: DatasetKind, source: String) throws(AppError) {
        self.app = app
        self.stagingName = stagingName
        stream = JSONLinesStream(kind: kind, file: "the uploaded \(kind.rawValue)")
        try app.withStore { try $0.beginStaged(stagingName, kind: kind, source: source) }
    }

    /// Feeds decompressed bytes.
    public func append(_ bytes: some Collection<UInt8>) throws(AppError) {
        hash.update(data: Array(bytes))
        let rows: DatasetContents
        do { rows = try stream.feed(bytes) } catch { throw AppError(error) }
        try collect(rows)
    }

    /// Checks the count and digest the agent announced; returns the number of rows.
    public func finish(expectedRows: Int, expectedSHA256: String) throws(AppError) -> Int {
        let rows: DatasetContents
        do { rows = try stream.finish() } catch { throw AppError(error) }
        try collect(rows)
        try flush()
        let digest = hash.finalize().map { String(format: "%02x", $0) }.joined()
        guard digest == expectedSHA256.lowercased() else {
            throw AppError(.dataInvalid, "the upload's SHA-256 is \(digest), but the agent announced \(expectedSHA256); nothing was kept")
        }
        guard stored == expectedRows else {
            throw AppError(.dataInvalid, "the upload holds \(stored) rows, but the agent announced \(expectedRows); nothing was kept")
        }
        return stored
    }

    /// Drops what was staged.
    public func abandon() {
        try? app.withStore { try $0.dropStaged(prefix: stagingName) }
    }

    private func collect(_ rows: DatasetContents) throws(AppError) {
        switch rows {
        case .users(let users): batchUsers += users
        case .groups(let groups): batchGroups += groups
        }
        if batchUsers.count + batchGroups.count >= Self.batchSize { try flush() }
    }

    private func flush() throws(AppError) {
        guard !batchUsers.isEmpty || !batchGroups.isEmpty else { return }
        let users = batchUsers
        let groups = batchGroups
        let start = stored
        try app.withStore { try $0.appendStaged(stagingName, users: users, groups: groups, from: start) }
        stored += users.count + groups.count
        batchUsers.removeAll(keepingCapacity: true)
        batchGroups.removeAll(keepingCapacity: true)
    }
}

extension AccountSync {
    /// The staging name of one kind of one push session.
    public static func stagingName(session: String, kind: DatasetKind) -> String {
        AccountStore.stagingPrefix + session + "/" + kind.rawValue
    }

    /// Replaces the datasets the sync settings select with a push session's staged ones, both in
    /// one transaction. Only the kinds that were uploaded are replaced.
    public func commitPush(session: String, kinds: [DatasetKind], agent: AgentInfo, actor: String) throws(AppError) {
        let active = try effective().config
        var pairs: [(staged: String, target: String)] = []
        for kind in kinds {
            guard let target = kind == .users ? active.usersDataset : active.groupsDataset else {
                throw AppError(.usage, "the core's sync settings select no \(kind == .users ? "user" : "user group") dataset (sync.\(kind.rawValue).dataset), so a pushed \(kind.rawValue) dataset has nowhere to go")
            }
            pairs.append((Self.stagingName(session: session, kind: kind), target))
        }
        try withStore { try $0.commitStaged(pairs) }
        logger.notice("push from agent \(agent.name) (\(agent.source)) committed by \(actor): \(pairs.map(\.target).joined(separator: ", "))")
    }

    /// Drops every staged dataset of a session (a failed or abandoned push).
    public func abandonPush(session: String) {
        try? withStore { try $0.dropStaged(prefix: AccountStore.stagingPrefix + session + "/") }
    }

    /// Drops staged datasets left by pushes that never finished (a restart of the core).
    public func dropStalePushes() {
        try? withStore { try $0.dropStaged(prefix: AccountStore.stagingPrefix) }
    }

    /// Records, at the core, that an agent's pull did not finish: a failed run with
    /// `SOURCE_INCOMPLETE`, the agent's name and the reason. Returns the run's id.
    public func recordIncompletePull(agent: AgentInfo, reason: String, actor: String) throws(AppError) -> Int64 {
        try withStore { store in
            let id = try store.beginRun(trigger: .agent, startedBy: actor, pid: ProcessInfo.processInfo.processIdentifier)
            try store.setRunAgent(id, agent)
            try store.failRun(id, failure: RunFailure(code: .sourceIncomplete, message: "agent \(agent.name) could not finish its pull from \(agent.source), so nothing was pushed or changed: \(reason)"))
            return id
        }
    }
}
