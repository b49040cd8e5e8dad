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
        let date = date.databaseValue  // formatted once, not once a row
        let audit = try db.cachedStatement(sql: """
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

        let insertUser = try db.cachedStatement(sql: """
            INSERT INTO users (account, name, email, mobile, accountType, disabledReason, managed, externalId, thirdParty, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
            """)
        let updateUser = try db.cachedStatement(sql: """
            UPDATE users SET account = ?, name = ?, email = ?, mobile = ?, accountType = ?, disabledReason = ?, externalId = ?,
            thirdParty = ?, updatedAt = ?, leftAt = CASE WHEN ? = 'deletion' THEN COALESCE(leftAt, ?) ELSE NULL END WHERE id = ?
            """)
        let insertMembership = try db.cachedStatement(sql: "INSERT OR IGNORE INTO memberships (userId, groupId) VALUES (?, ?)")
        let clearMemberships = try db.cachedStatement(sql: "DELETE FROM memberships WHERE userId = ?")
        let deleteUser = try db.cachedStatement(sql: "DELETE FROM users WHERE id = ?")

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
                try insertUser.execute(arguments: [
                    user.account, user.name, user.email, user.mobile, user.accountType.rawValue, user.disabledReason?.rawValue,
                    user.externalId, ThirdPartyCoding.encode(user.thirdParty), date, date,
                ])
                let id = db.lastInsertedRowID
                for group in user.groupIds { try insertMembership.execute(arguments: [id, group]) }
                try audit.execute(arguments: [id, user.account, runId, actor, date, "created", "", summary(of: user)])
            case .update, .restore, .disableOnDelete:
                guard let id = change.existingId else { continue }
                try updateUser.execute(arguments: [
                    user.account, user.name, user.email, user.mobile, user.accountType.rawValue, user.disabledReason?.rawValue,
                    user.externalId, ThirdPartyCoding.encode(user.thirdParty), date, user.disabledReason?.rawValue, date, id,
                ])
                if change.fieldChanges.contains(where: { $0.field == "groups" }) {
                    try clearMemberships.execute(arguments: [id])
                    for group in user.groupIds { try insertMembership.execute(arguments: [id, group]) }
                }
                for field in change.fieldChanges {
                    try audit.execute(arguments: [id, user.account, runId, actor, date, field.field, field.old, field.new])
                }
            case .remove:
                guard let id = change.existingId else { continue }
                try deleteUser.execute(arguments: [id])
                try audit.execute(arguments: [id, user.account, runId, actor, date, "removed", summary(of: user), ""])
            }
        }

        for change in plan.groupChanges where change.action == .remove {
            let id = change.record.groupId
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
