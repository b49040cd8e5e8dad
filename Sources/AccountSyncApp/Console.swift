import Foundation
import SyncCore
import SyncStore

/// A user group as the console and the API show it: where it sits and how many members it has.
public struct GroupView: Codable, Sendable, Equatable {
    public var groupId, name, parentGroupId, externalId: String
    public var managed: Bool
    public var members: Int
    public var thirdParty: [String: String]

    init(_ group: ExistingGroup, members: Int) {
        groupId = group.groupId
        name = group.name
        parentGroupId = group.parentGroupId
        externalId = group.externalId
        managed = group.managed
        self.members = members
        thirdParty = group.thirdParty
    }
}

/// One page of a longer list, with the total for the pager.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public var items: [Item]
    public var page: Int
    public var perPage: Int
    public var total: Int

    public init(items: [Item], page: Int, perPage: Int, total: Int) {
        self.items = items
        self.page = page
        self.perPage = perPage
        self.total = total
    }
}

/// What `/healthz` says: whether the store answers, and how the last run ended.
public struct Health: Codable, Sendable {
    public var status: String
    public var store: String
    public var lastRun: LastRun?

    public struct LastRun: Codable, Sendable {
        public var id: Int64
        public var status: RunStatus
        public var startedAt: Date
        public var failure: FailureCode?
    }
}

/// The use cases the console and the API read and change accounts through (the CLI's `users`,
/// `groups`, `datasets` and `resources` commands share them).
extension AccountSync {
    /// A page of users, by account: those matching `query` (account, name, email, mobile), only the
    /// disabled ones, or only the members of one group.
    public func usersPage(query: String?, disabledOnly: Bool, memberOf groupId: String? = nil, page: Int, perPage: Int) throws(AppError) -> Page<UserView> {
        let found = try withStore {
            try $0.usersPage(query: query, disabledOnly: disabledOnly, memberOf: groupId, limit: perPage, offset: (page - 1) * perPage)
        }
        return Page(items: found.users.map(UserView.init), page: page, perPage: perPage, total: found.total)
    }

    public func user(account: String) throws(AppError) -> UserView? {
        try withStore { try $0.user(account: account) }.map(UserView.init)
    }

    /// An admin's edit (same rules and audit trail whoever makes it); returns what changed.
    public func editUser(account: String, _ edit: UserEdit, actor: String) throws(AppError) -> [FieldChange] {
        let changes = try withStore { try $0.editUser(account: account, edit, actor: actor) }
        if !changes.isEmpty { logger.notice("user '\(account)' edited by \(actor): \(changes.map(\.field).joined(separator: ", "))") }
        return changes
    }

    public func userHistory(account: String) throws(AppError) -> [UserChangeRecord] {
        try withStore { try $0.userHistory(account: account) }
    }

    public func groupViews() throws(AppError) -> [GroupView] {
        try withStore { store in
            let counts = try store.memberCounts()
            return try store.groups().map { GroupView($0, members: counts[$0.groupId] ?? 0) }
        }
    }

    /// One group, its members counted alone (not every group's), and whether its parent exists.
    public func groupView(id: String) throws(AppError) -> (group: GroupView, parentExists: Bool)? {
        try withStore { store in
            let groups = try store.groups()
            guard let group = groups.first(where: { $0.groupId == id }) else { return nil }
            let parentExists = groups.contains { $0.groupId == group.parentGroupId }
            return (GroupView(group, members: try store.memberCount(groupId: id)), parentExists)
        }
    }

    public func datasets() throws(AppError) -> [DatasetInfo] {
        try withStore { try $0.datasets() }
    }

    /// A page of a stored dataset's rows, in file order; nil when there is no such dataset.
    public func datasetRows(name: String, page: Int, perPage: Int) throws(AppError) -> (info: DatasetInfo, users: [UserRow], groups: [GroupRow])? {
        try withStore { store in
            guard let info = try store.dataset(named: name) else { return nil }
            let offset = (page - 1) * perPage
            return info.kind == .users
                ? (info, try store.userRows(dataset: name, limit: perPage, offset: offset), [])
                : (info, [], try store.groupRows(dataset: name, limit: perPage, offset: offset))
        }
    }

    public func deleteDataset(name: String, actor: String) throws(AppError) {
        let deleted = try withStore { try $0.deleteDataset(named: name) }
        guard deleted else { throw AppError(.notFound, "no dataset named '\(name)'") }
        logger.notice("dataset '\(name)' deleted by \(actor)")
    }

    public func resources() throws(AppError) -> [ResourceInfo] {
        try withStore { try $0.resources() }
    }

    /// Whether the store answers, and the last run.
    public func health() -> Health {
        do {
            let last = try history(limit: 1).first
            return Health(
                status: "ok", store: "ok",
                lastRun: last.map { Health.LastRun(id: $0.id, status: $0.status, startedAt: $0.startedAt, failure: $0.failure?.code) })
        } catch {
            return Health(status: "unavailable", store: error.message, lastRun: nil)
        }
    }

    /// Starts a run on a thread of its own and returns its id as soon as it is recorded; the run
    /// goes on after this returns (its progress is in `progress`). Throws what stops a run from
    /// starting: another run holds the lock, a bad approval, an unreadable store.
    public func startRun(_ options: RunOptions) async throws(AppError) -> Int64 {
        let starter = RunStarter()
        var options = options
        options.onStarted = { id in starter.resolve(.success(id)) }
        let run = options
        let app = self
        Thread.detachNewThread {
            do throws(AppError) {
                _ = try app.run(run)
                starter.resolve(.failure(AppError(.runFailed, "the run ended before it was recorded")))
            } catch {
                starter.resolve(.failure(error))
            }
        }
        return try await starter.value()
    }
}

/// Hands a background run's id (or why it could not start) to the request that started it; the
/// first answer wins.
final class RunStarter: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Int64, AppError>?
    private var waiter: CheckedContinuation<Result<Int64, AppError>, Never>?

    func resolve(_ value: Result<Int64, AppError>) {
        lock.lock()
        guard result == nil else { lock.unlock(); return }
        result = value
        let waiting = waiter
        waiter = nil
        lock.unlock()
        waiting?.resume(returning: value)
    }

    func value() async throws(AppError) -> Int64 {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int64, AppError>, Never>) in
            lock.lock()
            if let result {
                lock.unlock()
                continuation.resume(returning: result)
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
        return try outcome.get()
    }
}
