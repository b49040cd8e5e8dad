import Foundation
import GRDB
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
        let auditRow = try BulkStatement(db, sql: """
            INSERT INTO user_changes (userId, account, runId, actor, at, field, old, new) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)

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

        let insertUser = try BulkStatement(db, sql: """
            INSERT INTO users (account, name, email, mobile, accountType, disabledReason, managed, externalId, thirdParty, createdAt, updatedAt,
                accountKey, emailKey, mobileKey, sourceDigest)
            VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let updateUser = try BulkStatement(db, sql: """
            UPDATE users SET account = ?, name = ?, email = ?, mobile = ?, accountType = ?, disabledReason = ?, externalId = ?,
            thirdParty = ?, updatedAt = ?, leftAt = CASE WHEN ? = 'deletion' THEN COALESCE(leftAt, ?) ELSE NULL END,
            accountKey = ?, emailKey = ?, mobileKey = ?, sourceDigest = ? WHERE id = ?
            """)
        let stampUser = try BulkStatement(db, sql: "UPDATE users SET sourceDigest = ? WHERE id = ?")
        let insertMembership = try BulkStatement(db, sql: "INSERT OR IGNORE INTO memberships (userId, groupId) VALUES (?, ?)")
        /// One audit row of this run.
        func audit(_ id: Int64, _ account: String, _ field: String, _ old: String, _ new: String) throws {
            try auditRow.execute { values in
                values.int(id); values.text(account); values.int(runId); values.text(actor); values.text(dateText)
                values.text(field); values.text(old); values.text(new)
            }
        }
        /// The user's compared values and stamp, bound after its other columns.
        func bindKeys(_ values: inout BulkStatement.Values, _ user: UserRecord) {
            let keys = UserKeys(user)
            values.text(keys.account); values.text(keys.email); values.text(keys.mobile); values.int(user.sourceDigest)
        }
        func addMemberships(_ id: Int64, _ groups: [String]) throws {
            for group in groups { try insertMembership.execute { $0.int(id); $0.text(group) } }
        }
        let clearMemberships = try db.cachedStatement(sql: "DELETE FROM memberships WHERE userId = ?")
        let deleteUser = try db.cachedStatement(sql: "DELETE FROM users WHERE id = ?")

        let creates = plan.userChanges.count { $0.action == .create }
        var rebuildIndexes = false  // see Schema.dropSettlingIndexes; the users are counted only for a big run
        if creates >= 10_000 { rebuildIndexes = creates > (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0) }
        if rebuildIndexes { try Schema.dropSettlingIndexes(db) }
        let middle = plan.userChanges.count / 2
        for (index, change) in plan.userChanges.enumerated() {
            if index == middle, let halfway { halfway() }
            if index % 1_000 == 0 {
                if isCancelled() { throw StoreError(.cancelled, "stopped during apply") }
                onProgress?(index, plan.userChanges.count)
            }
            let user = change.record
            switch change.action {
            case .create, .disableOnCreate:
                try insertUser.execute { values in
                    values.text(user.account); values.text(user.name); values.text(user.email); values.text(user.mobile)
                    values.text(user.accountType.rawValue); values.text(user.disabledReason?.rawValue); values.text(user.externalId)
                    values.text(ThirdPartyCoding.encode(user.thirdParty)); values.text(dateText); values.text(dateText)
                    bindKeys(&values, user)
                }
                let id = db.lastInsertedRowID
                try addMemberships(id, user.groupIds)
                try audit(id, user.account, "created", "", summary(of: user))
            case .update, .restore, .disableOnDelete:
                guard let id = change.existingId else { continue }
                try updateUser.execute { values in
                    values.text(user.account); values.text(user.name); values.text(user.email); values.text(user.mobile)
                    values.text(user.accountType.rawValue); values.text(user.disabledReason?.rawValue); values.text(user.externalId)
                    values.text(ThirdPartyCoding.encode(user.thirdParty)); values.text(dateText); values.text(user.disabledReason?.rawValue)
                    values.text(dateText); bindKeys(&values, user); values.int(id)
                }
                if change.fieldChanges.contains(where: { $0.field == "groups" }) {
                    try clearMemberships.execute(arguments: [id])
                    try addMemberships(id, user.groupIds)
                }
                for field in change.fieldChanges {
                    try audit(id, user.account, field.field, field.old, field.new)
                }
            case .remove:
                guard let id = change.existingId else { continue }
                try deleteUser.execute(arguments: [id])
                try audit(id, user.account, "removed", summary(of: user), "")
            }
        }

        if rebuildIndexes { try Schema.createSettlingIndexes(db) }
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

    /// One line describing a user, for the audit rows of creation and removal.
    static func summary(of user: UserRecord) -> String {
        var parts = ["account=\(user.account)", "name=\(user.name)", "type=\(user.accountType.rawValue)"]
        if !user.email.isEmpty { parts.append("email=\(user.email)") }
        if !user.mobile.isEmpty { parts.append("mobile=\(user.mobile)") }
        if !user.groupIds.isEmpty { parts.append("groups=\(user.groupIds.joined(separator: ";"))") }
        if let reason = user.disabledReason { parts.append("disabled=\(reason.rawValue)") }
        return parts.joined(separator: ", ")
    }
}
