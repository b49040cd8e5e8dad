import Foundation
import GRDB
import GRDBSQLite
import Pipelining
import SyncCore

/// Reads the user side of a run from a stored dataset, leaving out the settled users (see
/// `SettledUsers`): the rows whose stamp a user carries, and those users.
///
/// 1. The pairs: dataset rows whose digest (mixed with the policy's fingerprint) equals a managed
///    user's stamp, found by merging both in stamp order. A row or user in more than one pair is
///    not settled.
/// 2. Members of the groups the group plan unsettles are not settled.
/// 3. Every row left, and every user left, is checked against the settled users by the values the
///    planner matches with (externalId, normalised account): a settled user that such a row or user
///    could be matched or confused with is unsettled, until nothing more moves. A row without an
///    externalId that carries a DN can match any user by that DN, so the plan is then a full one.
/// 4. When more than half of the rows or users are left, or ids are too sparse for the
///    per-id tables, it reads everything instead (a first run, a big change): the same plan.
struct SettlingReader {
    let db: Database
    /// Where a full read reads the rows on another thread (see `StoredUserRows`); nil: on this one.
    let rowReader: DatabasePool?
    let dataset: String
    let fingerprint: Int64

    init(db: Database, rowReader: DatabasePool? = nil, dataset: String, fingerprint: Int64) {
        self.db = db
        self.rowReader = rowReader
        self.dataset = dataset
        self.fingerprint = fingerprint
    }

    /// A row's digest as the planner stamps it: the stored digest mixed (XOR) with the fingerprint.
    static func stamp(_ rowDigest: Int64?, fingerprint: Int64) -> Int64? { rowDigest.map { $0 ^ fingerprint } }

    func userInput(unsettling groups: Set<String>) throws -> (input: UserInput, lookups: SettledLookups?) {
        let rowCount = try Int.fetchOne(db, sql: "SELECT rowCount FROM datasets WHERE name = ?", arguments: [dataset]) ?? 0
        let userCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0
        let maxId = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM users") ?? 0
        guard rowCount > 0, userCount > 0, maxId <= Int64(userCount) * 8 + 1_000_000 else { return (try fullInput(rowCount: rowCount), nil) }

        // 1. The pairs.
        guard let pairs = try settledPairs(rowCount: rowCount, userCount: userCount, maxId: maxId) else { return (try fullInput(rowCount: rowCount), nil) }
        var state = pairs.state
        let seats = pairs.seats

        // 2. Members of the groups the group plan touches.
        for group in groups {
            for user in try Int64.fetchAll(db, sql: "SELECT userId FROM memberships WHERE groupId = ?", arguments: [group]) {
                state.unsettle(user: user)
            }
        }
        let tooMany = { (left: Int, of: Int) in left > of / 2 }
        if tooMany(rowCount - state.settledRows, rowCount) { return (try fullInput(rowCount: rowCount), nil) }

        // 3. The rows and users left, checked against the settled ones until nothing moves.
        let owners = Set(try Int64.fetchAll(db, sql: "SELECT DISTINCT ownerUserId FROM resources WHERE ownerUserId IS NOT NULL"))
        var rows: [Int: (row: UserRow, digest: Int64?)] = [:]
        var users: [Int64: ExistingUser] = [:]
        if let allUsers = pairs.allUsers {
            // Every user took part in the merge: the ids are known without reading them again.
            for id in allUsers.indices where allUsers[id] && !state.isSettled(user: Int64(id)) { state.pendingUsers.append(Int64(id)) }
        } else {
            try db.eachRow("SELECT id FROM users") { row in
                let id = sqlite3_column_int64(row, 0)
                if !state.isSettled(user: id) { state.pendingUsers.append(id) }
                return true
            }
        }
        if tooMany(state.pendingUsers.count, userCount) { return (try fullInput(rowCount: rowCount), nil) }
        for position in 0..<rowCount where !state.isSettled(row: position) { state.pendingRows.append(position) }

        let interner = TextInterner()
        let userStatement = try db.cachedStatement(sql: "SELECT \(AccountStore.userColumns) FROM users WHERE id = ?")
        let membershipStatement = try db.cachedStatement(sql: "SELECT groupId FROM memberships WHERE userId = ? ORDER BY groupId")
        // The partial indexes serve a query only when its own condition repeats theirs.
        let byExternalId = try db.cachedStatement(sql: "SELECT id FROM users WHERE externalId = ? AND externalId <> ''")
        let byAccountKey = try db.cachedStatement(sql: "SELECT id FROM users WHERE accountKey = ?")
        while !state.pendingRows.isEmpty || !state.pendingUsers.isEmpty {
            while let position = state.pendingRows.popLast() {
                var read: (row: UserRow, digest: Int64?)?
                try db.eachRow("SELECT \(AccountStore.userRowColumns) FROM dataset_users WHERE dataset = ? AND position = ?", arguments: [dataset, position]) {
                    read = AccountStore.userRow($0, interning: interner)
                    return false
                }
                guard let (row, digest) = read else { continue }
                rows[position] = (row, Self.stamp(digest, fingerprint: fingerprint))
                let externalId = row.externalId.trimmingSpaces()
                if externalId.isEmpty {
                    if row.thirdParty["ldapDN"] != nil { return (try fullInput(rowCount: rowCount), nil) }
                } else {
                    for id in try Int64.fetchAll(byExternalId, arguments: [externalId]) { state.unsettle(user: id) }
                }
                let account = Normalize.account(row.account)
                if !account.isEmpty {
                    for id in try Int64.fetchAll(byAccountKey, arguments: [account]) { state.unsettle(user: id) }
                }
            }
            while let id = state.pendingUsers.popLast() {
                guard let stored = try Row.fetchOne(userStatement, arguments: [id]) else { continue }
                let groupIds = try String.fetchAll(membershipStatement, arguments: [id])
                let user = try AccountStore.user(stored, groupIds: groupIds, ownsResources: owners.contains(id))
                users[id] = user
                if user.managed && !user.externalId.isEmpty {
                    for other in try Int64.fetchAll(byExternalId, arguments: [user.externalId]) { state.unsettle(user: other) }
                }
            }
        }
        if tooMany(rows.count, rowCount) || tooMany(users.count, userCount) { return (try fullInput(rowCount: rowCount), nil) }

        // 4. The input: rows in dataset order, users in id order, the settled ones summed up.
        let positions = rows.keys.sorted()
        var enabled = 0
        var editable = 0
        for id in state.rowOfUser.indices where state.rowOfUser[id] >= 0 {
            if seats[id] >= 1 { enabled += 1 }
            if seats[id] == 2 { editable += 1 }
        }
        let lookups = SettledLookups(db: db, rowOfUser: state.rowOfUser)
        let settled = SettledUsers(rows: state.settledRows, enabled: enabled, editable: editable) { field, value in
            lookups.holder(field, value)
        }
        let input = UserInput(
            rows: positions.map { rows[$0]!.row }, digests: positions.map { rows[$0]!.digest },
            existing: users.keys.sorted().map { users[$0]! }, settled: settled)
        return (input, lookups)
    }

    /// The rows and users that pair up one to one by stamp, each user's seats (0 disabled,
    /// 1 enabled, 2 enabled and editable), and, when every user is a managed user with a stamp,
    /// which ids are users; nil when the stored rows are not as expected (read everything instead).
    private func settledPairs(rowCount: Int, userCount: Int, maxId: Int64) throws -> (state: Unsettling, seats: [UInt8], allUsers: [Bool]?)? {
        var rowOfUser = [Int32](repeating: -1, count: Int(maxId) + 1)
        var seats = [UInt8](repeating: 0, count: Int(maxId) + 1)  // 1: enabled, 2: also editable
        var userOfRow = [Int64](repeating: 0, count: rowCount)
        var rowHits = [UInt8](repeating: 0, count: rowCount)
        var userHits = [UInt8](repeating: 0, count: Int(maxId) + 1)
        var stamped = [Bool](repeating: false, count: Int(maxId) + 1)  // managed users with a stamp
        var pairs: [(position: Int32, user: Int64)] = []
        pairs.reserveCapacity(min(rowCount, userCount))
        // A merge of two lists in stamp order, not a join: a million index probes cost seconds,
        // while the rows' stamps sort in memory and the users' come in order from their index.
        var rowStamps: [(stamp: Int64, position: Int32)] = []
        rowStamps.reserveCapacity(rowCount)
        var expected = true
        try db.eachRow("SELECT position, rowDigest FROM dataset_users WHERE dataset = ? AND rowDigest IS NOT NULL", arguments: [dataset]) { row in
            let position = sqlite3_column_int64(row, 0)
            guard position >= 0, position < rowCount else {
                expected = false
                return false
            }
            rowStamps.append((sqlite3_column_int64(row, 1) ^ fingerprint, Int32(position)))
            return true
        }
        guard expected else { return nil }
        rowStamps.sort { $0.stamp < $1.stamp }
        var next = 0
        var stampedUsers = 0
        try db.eachRow("""
            SELECT sourceDigest, id, CASE WHEN disabledReason IS NOT NULL THEN 0 WHEN accountType = ? THEN 1 ELSE 2 END
            FROM users WHERE sourceDigest IS NOT NULL AND managed = 1 ORDER BY sourceDigest
            """, arguments: [AccountType.readOnly.rawValue]) { row in
            let stamp = sqlite3_column_int64(row, 0)
            let user = sqlite3_column_int64(row, 1)
            guard user > 0, user <= maxId else {
                expected = false
                return false
            }
            stampedUsers += 1
            stamped[Int(user)] = true
            while next < rowStamps.count && rowStamps[next].stamp < stamp { next += 1 }
            var match = next
            while match < rowStamps.count && rowStamps[match].stamp == stamp {
                let position = Int(rowStamps[match].position)
                rowHits[position] = min(rowHits[position] + 1, 2)
                userHits[Int(user)] = min(userHits[Int(user)] + 1, 2)
                pairs.append((Int32(position), user))
                match += 1
            }
            // 0 disabled, 1 enabled, 2 enabled and editable (every type but read-only, as
            // `AccountStore.user(_:)` reads an unknown type as a regular user).
            seats[Int(user)] = UInt8(truncatingIfNeeded: sqlite3_column_int64(row, 2))
            return true
        }
        guard expected else { return nil }
        rowStamps = []
        var settledRows = 0
        for pair in pairs where rowHits[Int(pair.position)] == 1 && userHits[Int(pair.user)] == 1 {
            rowOfUser[Int(pair.user)] = pair.position
            userOfRow[Int(pair.position)] = pair.user
            settledRows += 1
        }
        let unsettling = Unsettling(rowOfUser: rowOfUser, userOfRow: userOfRow, settledRows: settledRows)
        return (unsettling, seats, stampedUsers == userCount ? stamped : nil)
    }

    /// Every row and every user: the plan a store without stamps gets. The rows stay on disk: the
    /// planner reads them as it goes (`StoredUserRows`).
    func fullInput(rowCount: Int) throws -> UserInput {
        let rows = StoredUserRows(db: db, reader: rowReader, dataset: dataset, fingerprint: fingerprint, count: rowCount)
        return UserInput(source: rows, existing: try AccountStore.state(db).users)
    }
}

/// A stored user dataset as the planner reads it (`UserRowSource`): the keys in one pass over the
/// table, then the rows in another, each row made when it is planned and let go after. At a
/// million rows that is a few hundred MB a run does not hold.
///
/// With `reader`, each pass reads on a thread of its own, through a connection of the pool apart
/// from the run's: the rows are made there while the planner plans the ones before. The run's
/// write transaction is IMMEDIATE, so nothing commits between its start and the reader's: both
/// see the same dataset.
struct StoredUserRows: UserRowSource {
    let db: Database
    let reader: DatabasePool?
    let dataset: String
    let fingerprint: Int64
    let count: Int
    /// Shared by both passes (one after the other, on one thread at a time): the rows name the
    /// same few group ids and account types.
    private let interner = TextInterner()
    /// Rows handed from the reading thread at a time.
    static let batch = 2_000

    init(db: Database, reader: DatabasePool?, dataset: String, fingerprint: Int64, count: Int) {
        self.db = db
        self.reader = reader
        self.dataset = dataset
        self.fingerprint = fingerprint
        self.count = count
    }

    func eachKey(everyDN: Bool, _ body: (UserRowKeys) throws -> Void) throws {
        let interner = interner
        try each("SELECT account, externalId, thirdParty FROM dataset_users WHERE dataset = ? ORDER BY position", make: { statement in
            let account = AccountStore.text(statement, 0)
            let externalId = AccountStore.text(statement, 1)
            // The third-party ids are decoded only for the DN a row may be matched by.
            let dn = everyDN || externalId.trimmingSpaces().isEmpty
                ? StoredJSON.thirdParty(AccountStore.bytes(statement, 2), interning: interner)["ldapDN"] : nil
            return UserRowKeys(account: account, externalId: externalId, dn: dn)
        }, body)
    }

    func eachRow(_ body: (UserRow, Int64?) throws -> Void) throws {
        let (interner, fingerprint) = (interner, fingerprint)
        try each("SELECT \(AccountStore.userRowColumns) FROM dataset_users WHERE dataset = ? ORDER BY position", make: { statement in
            let (row, digest) = AccountStore.userRow(statement, interning: interner)
            return RowRead(row: row, stamp: SettlingReader.stamp(digest, fingerprint: fingerprint))
        }) { read in try body(read.row, read.stamp) }
    }

    /// A row and its stamp, as the reading thread hands them over.
    private struct RowRead: Sendable {
        var row: UserRow
        var stamp: Int64?
    }

    /// The dataset's rows of `sql`, each made by `make` and handed to `body` in order: read on
    /// this thread through the run's connection, or on a thread of its own through `reader`.
    private func each<Item: Sendable>(_ sql: String, make: @escaping (SQLiteStatement) -> Item, _ body: (Item) throws -> Void) throws {
        let arguments: StatementArguments = [dataset]
        guard let reader else {
            try db.eachRow(sql, arguments: arguments) { statement in
                try body(make(statement))
                return true
            }
            return
        }
        // `make` (and the interner it uses) runs on the reading thread alone while the pass lasts.
        let making = Handed(make)
        try pipelined(
            batchesOf: Self.batch, stopped: { () -> any Error in StoreError(.cancelled, "the run stopped reading the dataset") },
            producing: { (emit: @escaping (Item) throws(any Error) -> Void) throws(any Error) in
                try reader.read { db in
                    try db.eachRow(sql, arguments: arguments) { statement in
                        try emit(making.value(statement))
                        return true
                    }
                }
            },
            consume: { batch in
                for item in batch { try body(item) }
            })
    }
}

/// Which rows and users are settled while `SettlingReader` narrows them down, and what is left to
/// read and check.
private struct Unsettling {
    /// By user id: the dataset position of its settled row, or -1.
    var rowOfUser: [Int32]
    /// By dataset position: the id of its settled user, or 0.
    var userOfRow: [Int64]
    var settledRows: Int
    var pendingRows: [Int] = []
    var pendingUsers: [Int64] = []

    func isSettled(user id: Int64) -> Bool { id >= 0 && Int(id) < rowOfUser.count && rowOfUser[Int(id)] >= 0 }
    func isSettled(row position: Int) -> Bool { userOfRow[position] != 0 }

    /// The user and its row are planned after all: both are read and checked in turn.
    mutating func unsettle(user id: Int64) {
        guard isSettled(user: id) else { return }
        let position = Int(rowOfUser[Int(id)])
        rowOfUser[Int(id)] = -1
        userOfRow[position] = 0
        settledRows -= 1
        pendingRows.append(position)
        pendingUsers.append(id)
    }
}

/// Who among the settled users holds a normalised account, email or mobile: the store's indexes
/// answer for the users the planner did not load.
final class SettledLookups {
    let db: Database
    let rowOfUser: [Int32]
    private(set) var failure: Error?
    private let statements: [UniqueField: Statement]

    init(db: Database, rowOfUser: [Int32]) {
        self.db = db
        self.rowOfUser = rowOfUser
        var statements: [UniqueField: Statement] = [:]
        for (field, column) in [(UniqueField.account, "accountKey"), (.email, "emailKey"), (.mobile, "mobileKey")] {
            // `<> ''` repeats the partial indexes' condition, so that they serve the lookup.
            statements[field] = try? db.cachedStatement(sql: "SELECT id, account FROM users WHERE \(column) = ? AND \(column) <> '' ORDER BY id")
        }
        self.statements = statements
    }

    func holder(_ field: UniqueField, _ value: String) -> String? {
        guard let statement = statements[field] else {
            failure = failure ?? StoreError(.unavailable, "cannot look up the users' \(field) values")
            return nil
        }
        do {
            for row in try Row.fetchAll(statement, arguments: [value]) {
                let id: Int64 = row[0]
                if Int(id) < rowOfUser.count, rowOfUser[Int(id)] >= 0 { return row[1] }
            }
        } catch {
            failure = failure ?? error
        }
        return nil
    }
}

/// What a run planned from stored datasets reads, inside its transaction: the group rows and
/// groups, and the user side on demand (after the group plan, which decides who cannot be settled).
public final class StoredRunInput {
    let db: Database
    /// See `SettlingReader.rowReader`.
    let rowReader: DatabasePool?
    public let groupRows: [GroupRow]?
    public let groups: [ExistingGroup]
    let usersDataset: String?
    let fingerprint: Int64
    private var lookups: SettledLookups?
    /// How many rows the user side left out as settled (0 when it read everything), for the log.
    public private(set) var settledRows = 0

    /// The run's writer; nil for a dry run.
    private let writer: PlanSink?
    /// When the planner runs on a thread of its own: how it reaches the run's thread, which alone
    /// uses `db`.
    var planningThread: PlanningThread?
    /// A settled user's lookup that could not reach the run's thread.
    private var handOverFailure: Error?

    /// Where the planner hands its changes as it goes: the run's writer, or the planning thread
    /// that hands them to it; nil for a dry run.
    public var sink: PlanSink? { planningThread ?? writer }

    init(db: Database, rowReader: DatabasePool?, groupRows: [GroupRow]?, groups: [ExistingGroup], usersDataset: String?, fingerprint: Int64, sink: PlanSink?) {
        self.db = db
        self.rowReader = rowReader
        self.writer = sink
        self.groupRows = groupRows
        self.groups = groups
        self.usersDataset = usersDataset
        self.fingerprint = fingerprint
    }

    /// The user side for the planner (nil when users are not synced).
    public func users(_ outcome: GroupOutcome) throws -> UserInput? {
        guard let usersDataset else { return nil }
        let reader = SettlingReader(db: db, rowReader: rowReader, dataset: usersDataset, fingerprint: fingerprint)
        let unsettling = outcome.unsettling
        let read = { try reader.userInput(unsettling: unsettling) }
        var (input, lookups) = try planningThread.map { thread in try thread.onRunThread { Handed(try read()) }.value } ?? read()
        self.lookups = lookups
        settledRows = input.settled?.rows ?? 0
        // The settled users' lookups read the store: on the run's thread, in their turn.
        if let planningThread, let holder = input.settled?.holder {
            input.settled?.holder = { field, value in
                do {
                    return try planningThread.onRunThread { holder(field, value) }
                } catch {
                    self.handOverFailure = self.handOverFailure ?? error
                    return nil
                }
            }
        }
        return input
    }

    /// An error a settled-user lookup met while planning; the run must not apply that plan.
    var lookupFailure: Error? { lookups?.failure ?? handOverFailure }
}
