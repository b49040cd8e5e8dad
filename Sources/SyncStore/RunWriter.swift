import Foundation
import GRDB
import Pipelining
import SyncCore

/// Writes a run's changes, their audit trail and the run's items inside the run's transaction, as
/// the planner hands them over (`PlanSink`) or all at once (`write(whole:)`).
///
/// Within a part, updates and removals are written before creations: a creation may take an
/// account, email or mobile that one of them gives up. Across parts the planner's order already
/// ensures that (deletions first, then the rows in dataset order). Groups' removals wait for
/// `finish`, after every membership has moved.
final class RunWriter: PlanSink {
    private let db: Database
    private let runId: Int64
    private let actor: String
    private let date: DatabaseValue
    private let dateText: String
    private let halfway: (() -> Void)?
    private let isCancelled: () -> Bool
    private let onProgress: ((Int, Int) -> Void)?
    private let items: RunItemWriter

    private let insertGroup: Statement
    private let updateGroup: Statement
    /// User updates by the fields they change (see `UserUpdate`).
    private var userUpdates: [UserUpdate.Fields: UserUpdate] = [:]
    private let stampUser: BulkStatement
    private let insertMemberships: BatchedInsert
    private let auditRows: BatchedInsert
    private let clearMemberships: Statement
    private let deleteUser: Statement
    private let insertUsers: BatchedInsert

    private var nextId: Int64 = 0
    /// Indexes dropped for a bulk creation, built again in `finish` (unless deferred, below).
    private var rebuilt: [(String, String)] = []
    /// Set by a run whose store builds the dropped indexes after the run's commit instead
    /// (`AccountStore.rebuildBesideCheckpoint`): `begin` then names them in `deferredIndexes` and
    /// turns this connection's automatic checkpoint off, so that the commit leaves its pages in the
    /// WAL for the checkpoint that runs beside that build. Non-empty exactly when the store must
    /// build them and turn the checkpoint back on, whether the run committed or not.
    var defersIndexes = false
    private(set) var deferredIndexes: [(String, String)] = []
    private var groupRemovals: [GroupChange] = []
    /// The user side's steps (deletions and rows) and how many are done, for progress.
    private var steps = 0
    private var stepsDone = 0
    /// User changes written.
    private var done = 0
    private var halfwayCalled = false
    private var began = false
    private var usersMarked = false
    /// Whether any change (not only items) was written: a failed plan must then be rolled back.
    private(set) var wroteChanges = false

    init(db: Database, runId: Int64, at date: Date, halfway: (() -> Void)?, isCancelled: @escaping () -> Bool, onProgress: ((Int, Int) -> Void)?) throws {
        self.db = db
        self.runId = runId
        actor = "run #\(runId)"
        dateText = String.fromDatabaseValue(date.databaseValue) ?? ""  // formatted once, not once a row
        self.date = date.databaseValue
        self.halfway = halfway
        self.isCancelled = isCancelled
        self.onProgress = onProgress
        // A run killed after its commit and before its deferred indexes were built left the store
        // without them: every run starts by making any that are missing.
        try Schema.createMissingIndexes(Schema.rebuiltAfterBulkCreation + Schema.auditIndexes, db)
        items = try RunItemWriter(db: db, runId: runId)
        insertGroup = try db.cachedStatement(sql: """
            INSERT INTO user_groups (groupId, name, parentGroupId, externalId, thirdParty, managed, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, 1, ?, ?)
            """)
        updateGroup = try db.cachedStatement(sql: """
            UPDATE user_groups SET name = ?, parentGroupId = ?, externalId = ?, thirdParty = ?, managed = 1, updatedAt = ? WHERE id = ?
            """)
        stampUser = try BulkStatement(db, sql: "UPDATE users SET sourceDigest = ? WHERE id = ?")
        insertMemberships = try BatchedInsert(db, "INSERT OR IGNORE INTO memberships (userId, groupId)", columns: 2)
        auditRows = try BatchedInsert(db, "INSERT INTO user_changes (userId, account, runId, actor, at, field, old, new)", columns: 8)
        clearMemberships = try db.cachedStatement(sql: "DELETE FROM memberships WHERE userId = ?")
        deleteUser = try db.cachedStatement(sql: "DELETE FROM users WHERE id = ?")
        insertUsers = try BatchedInsert(db, """
            INSERT INTO users (id, account, name, email, mobile, accountType, disabledReason, managed, externalId, thirdParty, createdAt, updatedAt,
                accountKey, emailKey, mobileKey, sourceDigest)
            """, columns: 16)
    }

    /// Writes the changes of a whole plan, made without a sink, as one part (`finish` writes its
    /// items).
    func write(whole plan: SyncPlan) throws {
        let creations = plan.userChanges.count { $0.action == .create || $0.action == .disableOnCreate }
        try begin(steps: plan.userChanges.count, unmatchedRows: creations)
        try write(PlanPart(groupChanges: plan.groupChanges, userChanges: plan.userChanges))
    }

    func begin(steps: Int, unmatchedRows: Int) throws {
        guard !began else { return }
        began = true
        self.steps = steps
        // Ids for the creations, read before any index is dropped.
        nextId = try AccountStore.nextUserId(db)
        // See Schema.rebuiltAfterBulkCreation. The tables are counted only for a big run.
        if unmatchedRows >= 10_000, unmatchedRows > (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0) {
            rebuilt = Schema.rebuiltAfterBulkCreation
            if unmatchedRows > (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user_changes") ?? 0) { rebuilt += Schema.auditIndexes }
        }
        try Schema.dropIndexes(rebuilt, db)
        if defersIndexes && !rebuilt.isEmpty {
            deferredIndexes = rebuilt
            rebuilt = []
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
    }

    func write(_ part: PlanPart) throws {
        if !began { try begin(steps: part.userChanges.count, unmatchedRows: 0) }
        for change in part.groupChanges {
            let group = change.record
            switch change.action {
            case .create:
                try insertGroup.execute(arguments: [group.groupId, group.name, group.parentGroupId, group.externalId, ThirdPartyCoding.encode(group.thirdParty), date, date])
            case .update:
                try updateGroup.execute(arguments: [group.name, group.parentGroupId, group.externalId, ThirdPartyCoding.encode(group.thirdParty), date, change.existingId])
            case .remove:
                groupRemovals.append(change)  // last, after memberships have moved
            default:
                continue
            }
            wroteChanges = true
        }
        if !part.userChanges.isEmpty {
            if !usersMarked { try AccountStore.markUsersChanged(db) }
            usersMarked = true
            wroteChanges = true
            try writeUpdatesAndRemovals(part.userChanges)
            try writeCreations(part.userChanges)
        }
        try items.append(part.items)
        // A part of a whole plan says nothing: each change is a step.
        try progressed(to: part.stepsDone ?? done)
    }

    /// Writes what waits for the end (indexes, stamps, the groups' removals) and the plan's items,
    /// and records the run's outcome.
    func finish(_ plan: SyncPlan) throws {
        // Also when the plan failed: a first run whose rows all fail commits its items, and must
        // not leave the store without the indexes it dropped (built here, or after the commit).
        try Schema.createIndexes(rebuilt, db)
        rebuilt = []
        if plan.failure == nil {
            for stamp in plan.userStamps {
                try stampUser.execute { $0.int(stamp.digest); $0.int(stamp.userId) }
            }
            for change in groupRemovals {
                let id = change.record.groupId
                // Its members change without their rows: none of them is settled any more.
                try db.execute(sql: "UPDATE users SET sourceDigest = NULL WHERE id IN (SELECT userId FROM memberships WHERE groupId = ?)", arguments: [id])
                try db.execute(sql: "DELETE FROM memberships WHERE groupId = ?", arguments: [id])
                try db.execute(sql: "UPDATE user_groups SET parentGroupId = '' WHERE parentGroupId = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM user_groups WHERE id = ?", arguments: [change.existingId])
            }
            if !halfwayCalled && done > 0 {
                halfwayCalled = true
                halfway?()
            }
        }
        if isCancelled() { throw StoreError(.cancelled, "stopped before commit") }
        try items.append(plan.items)
        try items.record(status: plan.status, failure: plan.failure, counts: plan.counts, at: date)
    }

    /// This run's audit rows: user id, account, field, old and new value.
    private func audit<Rows: Sequence>(_ rows: Rows) throws where Rows.Element == (Int64, String, String, String, String) {
        try auditRows.insert(rows) { row, values in
            values.int(row.0); values.text(row.1); values.int(runId); values.text(actor); values.text(dateText)
            values.text(row.2); values.text(row.3); values.text(row.4)
        }
    }

    /// Counts the changes written and honours a stop.
    private func wrote(_ count: Int) throws {
        done += count
        if isCancelled() { throw StoreError(.cancelled, "stopped during apply") }
    }

    /// Reports how many steps (deletions and rows) are planned and written, and calls `halfway`
    /// once half of them are, if changes were written.
    private func progressed(to steps: Int) throws {
        stepsDone = max(stepsDone, steps)
        if !halfwayCalled, done > 0, stepsDone >= self.steps / 2 {
            halfwayCalled = true
            halfway?()
        }
        onProgress?(stepsDone, max(stepsDone, self.steps))
    }

    private func writeUpdatesAndRemovals(_ changes: [UserChange]) throws {
        var sinceReport = 0
        for change in changes where change.action != .create && change.action != .disableOnCreate {
            guard let id = change.existingId else { continue }
            let user = change.record
            if change.action == .remove {
                try deleteUser.execute(arguments: [id])
                try audit(CollectionOfOne((id, user.account, "removed", AccountStore.summary(of: user), "")))
            } else {
                let fields = UserUpdate.Fields(change.fieldChanges)
                if userUpdates[fields] == nil { userUpdates[fields] = try UserUpdate(db, fields: fields) }
                try userUpdates[fields]!.execute(user, id: id, at: dateText)
                if change.fieldChanges.contains(where: { $0.field == "groups" }) {
                    try clearMemberships.execute(arguments: [id])
                    try insertMemberships.insert(user.groupIds) { group, values in values.int(id); values.text(group) }
                }
                try audit(change.fieldChanges.lazy.map { (id, user.account, $0.field, $0.old, $0.new) })
            }
            sinceReport += 1
            if sinceReport == 1_000 { try wrote(sinceReport); sinceReport = 0 }
        }
        try wrote(sinceReport)
    }

    /// Creations, many rows to a statement. Their ids follow every id a user has had, so that no
    /// new user takes up the audit trail of a removed one.
    private func writeCreations(_ changes: [UserChange]) throws {
        let creations = changes.indices.filter { changes[$0].action == .create || changes[$0].action == .disableOnCreate }
        guard !creations.isEmpty else { return }
        // The texts each creation binds besides its record's fields are made on another core while
        // SQLite inserts the chunk before: at a million creations they were a fifth of the inserts.
        try pipelined(producing: { (put: @escaping ([AccountStore.PreparedCreation]) -> Bool) in
            for chunk in stride(from: 0, to: creations.count, by: 1_000) {
                let prepared = creations[chunk..<min(chunk + 1_000, creations.count)].map { AccountStore.PreparedCreation(changes[$0].record, index: $0) }
                guard put(prepared) else { return }
            }
        }, consume: { (part: [AccountStore.PreparedCreation]) in
            let firstId = nextId
            nextId += Int64(part.count)
            // Each change is read in place: `changes[index].record` copies the change and then its
            // record, retaining and releasing every field of both, three times for each creation.
            try changes.withUnsafeBufferPointer { changes in
                func change(at position: Int) -> UnsafePointer<UserChange> { changes.baseAddress! + part[position].index }
                try insertUsers.insert(part.indices) { position, values in
                    let change = change(at: position)
                    let prepared = part[position]
                    values.int(firstId + Int64(position)); values.text(change.pointee.record.account); values.text(change.pointee.record.name)
                    values.text(change.pointee.record.email); values.text(change.pointee.record.mobile); values.text(change.pointee.record.accountType.rawValue)
                    values.text(change.pointee.record.disabledReason?.rawValue)
                    values.int(1); values.text(change.pointee.record.externalId); values.text(prepared.thirdParty)
                    values.text(dateText); values.text(dateText)
                    values.text(prepared.keys.account); values.text(prepared.keys.email); values.text(prepared.keys.mobile)
                    values.int(change.pointee.record.sourceDigest)
                }
                let memberships = part.indices.lazy.flatMap { position in
                    change(at: position).pointee.record.groupIds.lazy.map { (firstId + Int64(position), $0) }
                }
                try insertMemberships.insert(memberships) { membership, values in values.int(membership.0); values.text(membership.1) }
                try audit(part.indices.lazy.map { (firstId + Int64($0), change(at: $0).pointee.record.account, "created", "", part[$0].summary) })
            }
            try wrote(part.count)
        })
    }
}

/// Writes a run's items in their order as they come, counting them by class for the run's page,
/// then the run's outcome.
final class RunItemWriter {
    private let db: Database
    private let runId: Int64
    private let insert: BatchedInsert
    private var nextSeq = 0
    private var tally: [RunItemGroup: Int] = [:]

    init(db: Database, runId: Int64) throws {
        self.db = db
        self.runId = runId
        insert = try BatchedInsert(db, "INSERT INTO run_items (runId, seq, kind, key, action, code, message)", columns: 7)
    }

    func append(_ items: [RunItem]) throws {
        guard !items.isEmpty else { return }
        for item in items { tally[RunItemGroup(item), default: 0] += 1 }
        let first = nextSeq
        nextSeq += items.count
        try insert.insert(items.indices) { index, values in
            let item = items[index]
            values.int(runId); values.int(first + index); values.text(item.kind.rawValue); values.text(item.key); values.text(item.action.rawValue)
            values.text(item.code?.rawValue); values.text(item.message)
        }
    }

    func record(status: RunStatus, failure: RunFailure?, counts: RunCounts, at date: DatabaseValue) throws {
        try db.execute(
            sql: "UPDATE runs SET status = ?, finishedAt = ?, failureCode = ?, failureMessage = ?, counts = ?, itemTally = ? WHERE id = ?",
            arguments: [status.rawValue, date, failure?.code.rawValue, failure?.message, AccountStore.encodeCounts(counts), RunItemGroup.encode(tally), runId])
    }
}

extension AccountStore {
    /// What a creation writes besides its record's fields, made ahead of the insert.
    struct PreparedCreation: Sendable {
        /// The change's place in the plan's user changes.
        var index: Int
        var thirdParty: String
        var keys: UserKeys
        /// The audit row's description of the new user.
        var summary: String

        init(_ user: UserRecord, index: Int) {
            self.index = index
            thirdParty = ThirdPartyCoding.encode(user.thirdParty)
            keys = UserKeys(user)
            summary = AccountStore.summary(of: user)
        }
    }

    /// The id the next new user takes: above every id a user has had, the removed ones included
    /// (their audit rows keep it).
    static func nextUserId(_ db: Database) throws -> Int64 {
        let users = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM users") ?? 0
        let audited = try Int64.fetchOne(db, sql: "SELECT MAX(userId) FROM user_changes") ?? 0
        return max(users, audited) + 1
    }

    /// One line describing a user, for the audit rows of creation and removal.
    static func summary(of user: UserRecord) -> String {
        // Appended to one string: at a million creations, an array of interpolated parts joined
        // was a tenth of the apply.
        var text = "account="
        text.reserveCapacity(64 + user.account.utf8.count + user.name.utf8.count + user.email.utf8.count + user.mobile.utf8.count)
        text += user.account
        text += ", name="
        text += user.name
        text += ", type="
        text += user.accountType.rawValue
        if !user.email.isEmpty {
            text += ", email="
            text += user.email
        }
        if !user.mobile.isEmpty {
            text += ", mobile="
            text += user.mobile
        }
        if !user.groupIds.isEmpty {
            text += ", groups="
            for (index, group) in user.groupIds.enumerated() {
                if index > 0 { text += ";" }
                text += group
            }
        }
        if let reason = user.disabledReason {
            text += ", disabled="
            text += reason.rawValue
        }
        return text
    }
}

/// An UPDATE of a user that sets only the columns of the fields that changed (and the time and
/// stamp). SQLite updates an index whenever its column is set, changed or not: setting every
/// column made a rename of a million users update five indexes a user.
struct UserUpdate {
    /// The fields of a change, as `UserRecord.changes(from:)` names them.
    struct Fields: OptionSet, Hashable {
        let rawValue: Int
        static let account = Fields(rawValue: 1 << 0)
        static let name = Fields(rawValue: 1 << 1)
        static let email = Fields(rawValue: 1 << 2)
        static let mobile = Fields(rawValue: 1 << 3)
        static let accountType = Fields(rawValue: 1 << 4)
        static let externalId = Fields(rawValue: 1 << 5)
        static let thirdParty = Fields(rawValue: 1 << 6)
        static let disabled = Fields(rawValue: 1 << 7)

        init(rawValue: Int) { self.rawValue = rawValue }

        init(_ changes: [FieldChange]) {
            var fields: Fields = []
            for change in changes {
                switch change.field {
                case "account": fields.insert(.account)
                case "name": fields.insert(.name)
                case "email": fields.insert(.email)
                case "mobile": fields.insert(.mobile)
                case "accountType": fields.insert(.accountType)
                case "externalId": fields.insert(.externalId)
                case "thirdParty": fields.insert(.thirdParty)
                case "disabled": fields.insert(.disabled)
                default: continue  // groups: the memberships, not a column
                }
            }
            self = fields
        }
    }

    let fields: Fields
    private let statement: BulkStatement

    init(_ db: Database, fields: Fields) throws {
        self.fields = fields
        var columns: [String] = []
        if fields.contains(.account) { columns += ["account = ?", "accountKey = ?"] }
        if fields.contains(.name) { columns.append("name = ?") }
        if fields.contains(.email) { columns += ["email = ?", "emailKey = ?"] }
        if fields.contains(.mobile) { columns += ["mobile = ?", "mobileKey = ?"] }
        if fields.contains(.accountType) { columns.append("accountType = ?") }
        if fields.contains(.externalId) { columns.append("externalId = ?") }
        if fields.contains(.thirdParty) { columns.append("thirdParty = ?") }
        if fields.contains(.disabled) {
            columns += ["disabledReason = ?", "leftAt = CASE WHEN ? = 'deletion' THEN COALESCE(leftAt, ?) ELSE NULL END"]
        }
        columns += ["updatedAt = ?", "sourceDigest = ?"]
        statement = try BulkStatement(db, sql: "UPDATE users SET \(columns.joined(separator: ", ")) WHERE id = ?")
    }

    /// Writes `user`'s changed fields, in the order `init` set their columns.
    func execute(_ user: UserRecord, id: Int64, at date: String) throws {
        try statement.execute { values in
            if fields.contains(.account) { values.text(user.account); values.text(Normalize.account(user.account)) }
            if fields.contains(.name) { values.text(user.name) }
            if fields.contains(.email) { values.text(user.email); values.text(Normalize.email(user.email)) }
            if fields.contains(.mobile) { values.text(user.mobile); values.text(Normalize.mobile(user.mobile)) }
            if fields.contains(.accountType) { values.text(user.accountType.rawValue) }
            if fields.contains(.externalId) { values.text(user.externalId) }
            if fields.contains(.thirdParty) { values.text(ThirdPartyCoding.encode(user.thirdParty)) }
            if fields.contains(.disabled) {
                values.text(user.disabledReason?.rawValue); values.text(user.disabledReason?.rawValue); values.text(date)
            }
            values.text(date); values.int(user.sourceDigest)
            values.int(id)
        }
    }
}

