import Foundation
import GRDB
import Pipelining
import SyncCore

extension AccountStore {
    /// Writes a plan's changes and their audit trail. Runs inside the caller's transaction.
    static func apply(
        _ plan: SyncPlan, runId: Int64, at date: Date, db: Database, halfway: (() -> Void)?, isCancelled: () -> Bool,
        onProgress: ((Int, Int) -> Void)? = nil
    ) throws {
        let actor = "run #\(runId)"
        if !plan.userChanges.isEmpty { try markUsersChanged(db) }
        let dateText = String.fromDatabaseValue(date.databaseValue) ?? ""  // formatted once, not once a row
        let date = date.databaseValue

        let insertGroup = try db.cachedStatement(sql: """
            INSERT INTO user_groups (groupId, name, parentGroupId, externalId, thirdParty, managed, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, 1, ?, ?)
            """)
        let updateGroup = try db.cachedStatement(sql: """
            UPDATE user_groups SET name = ?, parentGroupId = ?, externalId = ?, thirdParty = ?, managed = 1, updatedAt = ? WHERE id = ?
            """)
        for change in plan.groupChanges {
            let group = change.record
            switch change.action {
            case .create:
                try insertGroup.execute(arguments: [group.groupId, group.name, group.parentGroupId, group.externalId, ThirdPartyCoding.encode(group.thirdParty), date, date])
            case .update:
                try updateGroup.execute(arguments: [group.name, group.parentGroupId, group.externalId, ThirdPartyCoding.encode(group.thirdParty), date, change.existingId])
            default:
                continue  // removals come last, after memberships have moved
            }
        }

        let updateUser = try BulkStatement(db, sql: """
            UPDATE users SET account = ?, name = ?, email = ?, mobile = ?, accountType = ?, disabledReason = ?, externalId = ?,
            thirdParty = ?, updatedAt = ?, leftAt = CASE WHEN ? = 'deletion' THEN COALESCE(leftAt, ?) ELSE NULL END,
            accountKey = ?, emailKey = ?, mobileKey = ?, sourceDigest = ? WHERE id = ?
            """)
        let stampUser = try BulkStatement(db, sql: "UPDATE users SET sourceDigest = ? WHERE id = ?")
        let insertMemberships = try BatchedInsert(db, "INSERT OR IGNORE INTO memberships (userId, groupId)", columns: 2)
        let auditRows = try BatchedInsert(db, "INSERT INTO user_changes (userId, account, runId, actor, at, field, old, new)", columns: 8)
        /// This run's audit rows: user id, account, field, old and new value.
        func audit<Rows: Sequence>(_ rows: Rows) throws where Rows.Element == (Int64, String, String, String, String) {
            try auditRows.insert(rows) { row, values in
                values.int(row.0); values.text(row.1); values.int(runId); values.text(actor); values.text(dateText)
                values.text(row.2); values.text(row.3); values.text(row.4)
            }
        }
        /// The user's compared values and stamp, bound after its other columns.
        func bindKeys(_ values: inout BulkStatement.Values, _ user: UserRecord) {
            let keys = UserKeys(user)
            values.text(keys.account); values.text(keys.email); values.text(keys.mobile); values.int(user.sourceDigest)
        }
        let clearMemberships = try db.cachedStatement(sql: "DELETE FROM memberships WHERE userId = ?")
        let deleteUser = try db.cachedStatement(sql: "DELETE FROM users WHERE id = ?")

        let creations = plan.userChanges.indices.filter { plan.userChanges[$0].action == .create || plan.userChanges[$0].action == .disableOnCreate }
        // Ids for the creations, read before any index is dropped.
        var nextId = try nextUserId(db)
        // See Schema.rebuiltAfterBulkCreation. The tables are counted only for a big run.
        var rebuilt: [(String, String)] = []
        if creations.count >= 10_000, creations.count > (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0) {
            rebuilt = Schema.rebuiltAfterBulkCreation
            if creations.count > (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user_changes") ?? 0) { rebuilt += Schema.auditIndexes }
        }
        try Schema.dropIndexes(rebuilt, db)
        var done = 0
        var halfwayCalled = false
        /// Counts the changes written: calls `halfway` once half of them are, reports progress and
        /// honours a stop.
        func wrote(_ count: Int) throws {
            done += count
            if !halfwayCalled, !plan.userChanges.isEmpty, done >= plan.userChanges.count / 2 {
                halfwayCalled = true
                halfway?()
            }
            if isCancelled() { throw StoreError(.cancelled, "stopped during apply") }
            onProgress?(done, plan.userChanges.count)
        }

        // Updates and removals first: a creation may take an account, email or mobile that one of
        // them gives up.
        var sinceReport = 0
        for change in plan.userChanges where change.action != .create && change.action != .disableOnCreate {
            guard let id = change.existingId else { continue }
            let user = change.record
            if change.action == .remove {
                try deleteUser.execute(arguments: [id])
                try audit(CollectionOfOne((id, user.account, "removed", summary(of: user), "")))
            } else {
                try updateUser.execute { values in
                    values.text(user.account); values.text(user.name); values.text(user.email); values.text(user.mobile)
                    values.text(user.accountType.rawValue); values.text(user.disabledReason?.rawValue); values.text(user.externalId)
                    values.text(ThirdPartyCoding.encode(user.thirdParty)); values.text(dateText); values.text(user.disabledReason?.rawValue)
                    values.text(dateText); bindKeys(&values, user); values.int(id)
                }
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

        // Creations, many rows to a statement. Their ids follow every id a user has had, so that
        // no new user takes up the audit trail of a removed one.
        let insertUsers = try BatchedInsert(db, """
            INSERT INTO users (id, account, name, email, mobile, accountType, disabledReason, managed, externalId, thirdParty, createdAt, updatedAt,
                accountKey, emailKey, mobileKey, sourceDigest)
            """, columns: 16)
        // The texts each creation binds besides its record's fields are made on another core while
        // SQLite inserts the chunk before: at a million creations they were a fifth of the inserts.
        try pipelined(producing: { (put: @escaping ([PreparedCreation]) -> Bool) in
            for chunk in stride(from: 0, to: creations.count, by: 1_000) {
                let prepared = creations[chunk..<min(chunk + 1_000, creations.count)].map { PreparedCreation(plan.userChanges[$0].record, index: $0) }
                guard put(prepared) else { return }
            }
        }, consume: { (part: [PreparedCreation]) in
            let firstId = nextId
            nextId += Int64(part.count)
            try insertUsers.insert(part.indices) { position, values in
                let user = plan.userChanges[part[position].index].record
                let prepared = part[position]
                values.int(firstId + Int64(position)); values.text(user.account); values.text(user.name); values.text(user.email)
                values.text(user.mobile); values.text(user.accountType.rawValue); values.text(user.disabledReason?.rawValue)
                values.int(1); values.text(user.externalId); values.text(prepared.thirdParty)
                values.text(dateText); values.text(dateText)
                values.text(prepared.keys.account); values.text(prepared.keys.email); values.text(prepared.keys.mobile); values.int(user.sourceDigest)
            }
            let memberships = part.indices.lazy.flatMap { position in
                plan.userChanges[part[position].index].record.groupIds.lazy.map { (firstId + Int64(position), $0) }
            }
            try insertMemberships.insert(memberships) { membership, values in values.int(membership.0); values.text(membership.1) }
            try audit(part.indices.lazy.map { (firstId + Int64($0), plan.userChanges[part[$0].index].record.account, "created", "", part[$0].summary) })
            try wrote(part.count)
        })

        try Schema.createIndexes(rebuilt, db)
        for stamp in plan.userStamps {
            try stampUser.execute { $0.int(stamp.digest); $0.int(stamp.userId) }
        }

        for change in plan.groupChanges where change.action == .remove {
            let id = change.record.groupId
            // Its members change without their rows: none of them is settled any more.
            try db.execute(sql: "UPDATE users SET sourceDigest = NULL WHERE id IN (SELECT userId FROM memberships WHERE groupId = ?)", arguments: [id])
            try db.execute(sql: "DELETE FROM memberships WHERE groupId = ?", arguments: [id])
            try db.execute(sql: "UPDATE user_groups SET parentGroupId = '' WHERE parentGroupId = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM user_groups WHERE id = ?", arguments: [change.existingId])
        }
    }

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
