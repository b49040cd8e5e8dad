import Foundation
import GRDB
import SyncCore

/// An administrator's edit of one user; nil fields stay as they are.
public struct UserEdit: Sendable {
    public var name: String?
    public var email: String?
    public var mobile: String?
    public var accountType: AccountType?
    /// true: disable (an admin's disable, which no run undoes); false: enable.
    public var disabled: Bool?

    public init(name: String? = nil, email: String? = nil, mobile: String? = nil, accountType: AccountType? = nil, disabled: Bool? = nil) {
        self.name = name
        self.email = email
        self.mobile = mobile
        self.accountType = accountType
        self.disabled = disabled
    }
}

/// One line of a user's audit trail.
public struct UserChangeRecord: Sendable, Codable, Equatable {
    public var at: Date
    /// `run #N` or `admin (login)`.
    public var actor: String
    public var runId: Int64?
    public var account: String
    public var field: String
    public var old: String
    public var new: String
}

/// A resource of the host application (a dashboard, a dataset…) owned by a user or a group; an
/// owner cannot be removed until its resources are transferred.
public struct ResourceInfo: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var ownerAccount: String?
    public var ownerGroupId: String?
}

extension AccountStore {
    public func users(disabledOnly: Bool = false) throws(StoreError) -> [ExistingUser] {
        let users = try state().users
        return disabledOnly ? users.filter(\.disabled) : users
    }

    /// How many users the sync manages that are enabled: what an empty source would disable.
    public func managedEnabledUserCount() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users WHERE managed = 1 AND disabledReason IS NULL") ?? 0 }
    }

    /// One page of users, by account, whose account, name, email or mobile contains `query`
    /// (case-insensitively), and how many match in all. Reads only the page's rows and memberships.
    public func usersPage(query: String?, disabledOnly: Bool, memberOf groupId: String? = nil, limit: Int, offset: Int) throws(StoreError) -> (users: [ExistingUser], total: Int) {
        let query = query ?? ""
        // Three characters or more: the trigram index (brought up to date first); fewer: a scan.
        let indexed = query.count >= 3 && !query.unicodeScalars.contains { $0.value < 0x20 }
        if indexed { try refreshUserSearchIndex() }
        return try read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if indexed {
                conditions.append("id IN (SELECT rowid FROM users_search WHERE users_search MATCH ?)")
                arguments += ["\"" + query.replacingOccurrences(of: "\"", with: "\"\"") + "\""]
            } else if !query.isEmpty {
                let pattern = "%" + query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
                conditions.append("(account LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' OR mobile LIKE ? ESCAPE '\\')")
                arguments += [pattern, pattern, pattern, pattern]
            }
            if disabledOnly { conditions.append("disabledReason IS NOT NULL") }
            if let groupId {
                conditions.append("id IN (SELECT userId FROM memberships WHERE groupId = ?)")
                arguments += [groupId]
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users \(whereClause)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT \(Self.userColumns) FROM users \(whereClause) ORDER BY account LIMIT ? OFFSET ?", arguments: arguments + [limit, offset])
            var users: [ExistingUser] = []
            for row in rows {
                let id: Int64 = try row.decode(atIndex: 0)
                let groupIds = try String.fetchAll(db, sql: "SELECT groupId FROM memberships WHERE userId = ? ORDER BY groupId", arguments: [id])
                let owns = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM resources WHERE ownerUserId = ?)", arguments: [id]) ?? false
                users.append(try Self.user(row, groupIds: groupIds, ownsResources: owns))
            }
            return (users, total)
        }
    }

    /// Rebuilds the search index when users changed since it was built (about 0.7 s per 100,000).
    func refreshUserSearchIndex() throws(StoreError) {
        let stale = try read { db in try String.fetchOne(db, sql: "SELECT value FROM store_facts WHERE key = 'usersSearchStale'") != "0" }
        guard stale else { return }
        try write { db in
            guard try String.fetchOne(db, sql: "SELECT value FROM store_facts WHERE key = 'usersSearchStale'") != "0" else { return }
            try db.execute(sql: "INSERT INTO users_search(users_search) VALUES ('rebuild')")
            try db.execute(sql: "INSERT OR REPLACE INTO store_facts (key, value) VALUES ('usersSearchStale', '0')")
        }
    }

    /// Notes, inside the writing transaction, that the search index no longer matches the users.
    static func markUsersChanged(_ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO store_facts (key, value) VALUES ('usersSearchStale', '1')")
    }

    /// The user with this account, compared as runs compare accounts (trimmed, case-insensitive),
    /// found through the index of the normalised accounts.
    public func user(account: String) throws(StoreError) -> ExistingUser? {
        try read { db in try Self.user(db, account: account) }
    }

    /// Adds a local account that the sync does not manage (a run reports `ACCOUNT_EXISTS` for it).
    public func addLocalUser(_ user: UserRecord, actor: String, at date: Date = Date()) throws(StoreError) {
        try write { db in
            try Self.markUsersChanged(db)
            try Self.checkUnique(account: user.account, email: user.email, mobile: user.mobile, excluding: nil, db)
            let keys = UserKeys(user)
            let id = try Self.nextUserId(db)
            try db.execute(sql: """
                INSERT INTO users (id, account, name, email, mobile, accountType, disabledReason, managed, externalId, thirdParty, createdAt, updatedAt,
                    accountKey, emailKey, mobileKey)
                VALUES (?, ?, ?, ?, ?, ?, ?, 0, '', '', ?, ?, ?, ?, ?)
                """, arguments: [
                    id, user.account, user.name, user.email, user.mobile, user.accountType.rawValue, user.disabledReason?.rawValue, date, date,
                    keys.account, keys.email, keys.mobile,
                ])
            for group in user.groupIds {
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM user_groups WHERE groupId = ?", arguments: [group]) == true else {
                    throw StoreError(.notFound, "no user group '\(group)'")
                }
                try db.execute(sql: "INSERT OR IGNORE INTO memberships (userId, groupId) VALUES (?, ?)", arguments: [id, group])
            }
            try db.execute(
                sql: "INSERT INTO user_changes (userId, account, runId, actor, at, field, old, new) VALUES (?, ?, NULL, ?, ?, 'created', '', ?)",
                arguments: [id, user.account, actor, date, Self.summary(of: user) + ", local (not managed by the sync)"])
        }
    }

    /// Applies an administrator's edit and records each changed field in the audit trail.
    /// Returns the changes made (empty when the edit changed nothing).
    @discardableResult
    public func editUser(account: String, _ edit: UserEdit, actor: String, at date: Date = Date()) throws(StoreError) -> [FieldChange] {
        try write { db in
            guard var user = try Self.user(db, account: account) else {
                throw StoreError(.notFound, "no user with account '\(account)'")
            }
            let before = user
            if let name = edit.name { user.name = name }
            if let email = edit.email { user.email = email }
            if let mobile = edit.mobile { user.mobile = mobile }
            if let type = edit.accountType { user.accountType = type }
            if let disabled = edit.disabled { user.disabledReason = disabled ? (before.disabledReason ?? .admin) : nil }
            try Self.checkUnique(account: user.account, email: user.email, mobile: user.mobile, excluding: user.id, db)
            let changes = UserRecord(user).changes(from: before)
            guard !changes.isEmpty else { return [] }
            try Self.markUsersChanged(db)
            // The user is no longer what its dataset row made of it: the next run plans it in full.
            let keys = UserKeys(UserRecord(user))
            try db.execute(
                sql: """
                    UPDATE users SET name = ?, email = ?, mobile = ?, accountType = ?, disabledReason = ?, updatedAt = ?,
                    leftAt = CASE WHEN ? = 'deletion' THEN leftAt ELSE NULL END, emailKey = ?, mobileKey = ?, sourceDigest = NULL WHERE id = ?
                    """,
                arguments: [
                    user.name, user.email, user.mobile, user.accountType.rawValue, user.disabledReason?.rawValue, date, user.disabledReason?.rawValue,
                    keys.email, keys.mobile, user.id,
                ])
            for change in changes {
                try db.execute(
                    sql: "INSERT INTO user_changes (userId, account, runId, actor, at, field, old, new) VALUES (?, ?, NULL, ?, ?, ?, ?, ?)",
                    arguments: [user.id, user.account, actor, date, change.field, change.old, change.new])
            }
            return changes
        }
    }

    /// Every change to a user, oldest first: by which run or admin, when, field, old and new value.
    /// Follows the user through renames; a removed user is found by the account it had.
    public func userHistory(account: String) throws(StoreError) -> [UserChangeRecord] {
        try read { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM users WHERE account = ?", arguments: [account])
                + Int64.fetchAll(db, sql: "SELECT DISTINCT userId FROM user_changes WHERE account = ?", arguments: [account])
            let unique = Array(Set(ids))
            guard !unique.isEmpty else { return [] }
            let marks = unique.map { _ in "?" }.joined(separator: ",")
            return try Row.fetchAll(
                db, sql: "SELECT * FROM user_changes WHERE userId IN (\(marks)) ORDER BY id",
                arguments: StatementArguments(unique)
            ).map { row in
                UserChangeRecord(at: try row.decode(forColumn: "at"), actor: try row.decode(forColumn: "actor"), runId: try row.decode(forColumn: "runId"), account: try row.decode(forColumn: "account"), field: try row.decode(forColumn: "field"), old: try row.decode(forColumn: "old"), new: try row.decode(forColumn: "new"))
            }
        }
    }

    /// Members per group id, counted in the store.
    public func memberCounts() throws(StoreError) -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT groupId, COUNT(*) FROM memberships GROUP BY groupId") {
                counts[try row.decode(atIndex: 0)] = try row.decode(atIndex: 1)
            }
            return counts
        }
    }

    /// Members of one group, counted through its index.
    public func memberCount(groupId: String) throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM memberships WHERE groupId = ?", arguments: [groupId]) ?? 0 }
    }

    public func groups() throws(StoreError) -> [ExistingGroup] {
        try read { db in try Self.groups(db) }
    }

    // MARK: Resources (stand-ins for the host application's)

    /// Adds a resource owned by a user (by account) or a group (by id); returns its id.
    @discardableResult
    public func addResource(name: String, ownerAccount: String?, ownerGroupId: String?) throws(StoreError) -> Int64 {
        try write { db in
            if let ownerAccount {
                guard let userId = try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE account = ?", arguments: [ownerAccount]) else {
                    throw StoreError(.notFound, "no user with account '\(ownerAccount)'")
                }
                try db.execute(sql: "INSERT INTO resources (name, ownerUserId) VALUES (?, ?)", arguments: [name, userId])
            } else if let ownerGroupId {
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM user_groups WHERE groupId = ?", arguments: [ownerGroupId]) == true else {
                    throw StoreError(.notFound, "no user group '\(ownerGroupId)'")
                }
                try db.execute(sql: "INSERT INTO resources (name, ownerGroupId) VALUES (?, ?)", arguments: [name, ownerGroupId])
            } else {
                throw StoreError(.invalid, "a resource needs an owner")
            }
            return db.lastInsertedRowID
        }
    }

    public func resources() throws(StoreError) -> [ResourceInfo] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.id, r.name, u.account, r.ownerGroupId FROM resources r LEFT JOIN users u ON u.id = r.ownerUserId ORDER BY r.id
                """).map { ResourceInfo(id: try $0.decode(atIndex: 0), name: try $0.decode(atIndex: 1), ownerAccount: try $0.decode(atIndex: 2), ownerGroupId: try $0.decode(atIndex: 3)) }
        }
    }

    /// Moves every resource of one user to another; returns how many moved.
    public func transferResources(from: String, to: String) throws(StoreError) -> Int {
        try write { db in
            guard let fromId = try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE account = ?", arguments: [from]) else {
                throw StoreError(.notFound, "no user with account '\(from)'")
            }
            guard let toId = try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE account = ?", arguments: [to]) else {
                throw StoreError(.notFound, "no user with account '\(to)'")
            }
            try db.execute(sql: "UPDATE resources SET ownerUserId = ? WHERE ownerUserId = ?", arguments: [toId, fromId])
            return db.changesCount
        }
    }

    /// Email and mobile are unique across all users (normalized); accounts case-insensitively.
    /// Refuses an account, email or mobile another user holds, as runs compare them, through the
    /// indexes of the stored keys (an admin's edit at a million users reads a row or two).
    private static func checkUnique(account: String, email: String, mobile: String, excluding id: Int64?, _ db: Database) throws {
        /// The account of another user whose `column` is `key` (`<> ''` lets the partial indexes serve).
        func holder(_ column: String, _ key: String) throws -> String? {
            guard !key.isEmpty else { return nil }
            return try String.fetchOne(
                db, sql: "SELECT account FROM users WHERE \(column) = ? AND \(column) <> '' AND id IS NOT ? ORDER BY id LIMIT 1", arguments: [key, id])
        }
        if let other = try holder("accountKey", Normalize.account(account)) {
            throw StoreError(.conflict, "account '\(account)' already exists (as '\(other)')")
        }
        if let other = try holder("emailKey", Normalize.email(email)) {
            throw StoreError(.conflict, "email '\(email)' is already used by '\(other)'")
        }
        if let other = try holder("mobileKey", Normalize.mobile(mobile)) {
            throw StoreError(.conflict, "mobile '\(mobile)' is already used by '\(other)'")
        }
    }
}
