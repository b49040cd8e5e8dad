import Foundation
import GRDB
import SyncCore

extension AccountStore {
    /// The users and groups as they are now: the "before" side of a plan.
    public func state() throws(StoreError) -> AccountState {
        try read { db in try Self.state(db) }
    }

    static func state(_ db: Database) throws -> AccountState {
        var memberships: [Int64: [String]] = [:]
        let membershipCursor = try Row.fetchCursor(db, sql: "SELECT userId, groupId FROM memberships ORDER BY userId, groupId")
        while let row = try membershipCursor.next() {
            memberships[try row.decode(atIndex: 0), default: []].append(try row.decode(atIndex: 1))
        }
        let userOwners = Set(try Int64.fetchAll(db, sql: "SELECT DISTINCT ownerUserId FROM resources WHERE ownerUserId IS NOT NULL"))

        var users: [ExistingUser] = []
        let userCursor = try Row.fetchCursor(db, sql: "SELECT \(userColumns) FROM users ORDER BY id")
        while let row = try userCursor.next() {
            let id: Int64 = try row.decode(atIndex: 0)
            users.append(try user(row, groupIds: memberships[id] ?? [], ownsResources: userOwners.contains(id)))
        }
        return AccountState(users: users, groups: try groups(db))
    }

    /// Every user group, without reading the users.
    static func groups(_ db: Database) throws -> [ExistingGroup] {
        let owners = Set(try String.fetchAll(db, sql: "SELECT DISTINCT ownerGroupId FROM resources WHERE ownerGroupId IS NOT NULL"))
        return try Row.fetchAll(db, sql: "SELECT id, groupId, name, parentGroupId, externalId, managed, thirdParty FROM user_groups ORDER BY id").map { row in
            ExistingGroup(
                id: try row.decode(atIndex: 0), groupId: try row.decode(atIndex: 1), name: try row.decode(atIndex: 2), parentGroupId: try row.decode(atIndex: 3), externalId: try row.decode(atIndex: 4), managed: try row.decode(atIndex: 5),
                ownsResources: owners.contains(try row.decode(atIndex: 1)), thirdParty: ThirdPartyCoding.decode(try row.decode(atIndex: 6)))
        }
    }

    /// The user with exactly this account (the column's case-insensitive collation), read alone:
    /// one row, its memberships and whether it owns resources — not the whole store.
    static func user(_ db: Database, account: String) throws -> ExistingUser? {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(userColumns) FROM users WHERE account = ?", arguments: [account]) else {
            return nil
        }
        let id: Int64 = try row.decode(atIndex: 0)
        let groupIds = try String.fetchAll(db, sql: "SELECT groupId FROM memberships WHERE userId = ? ORDER BY groupId", arguments: [id])
        let owns = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM resources WHERE ownerUserId = ?)", arguments: [id]) ?? false
        return try user(row, groupIds: groupIds, ownsResources: owns)
    }

    static let userColumns = "id, account, name, email, mobile, accountType, disabledReason, managed, externalId, thirdParty, leftAt"

    /// One row of `userColumns` as an `ExistingUser`.
    static func user(_ row: Row, groupIds: [String], ownsResources: Bool) throws -> ExistingUser {
        let reason: String? = try row.decode(atIndex: 6)
        let type: String = try row.decode(atIndex: 5)
        let thirdParty: String = try row.decode(atIndex: 9)
        return ExistingUser(
            id: try row.decode(atIndex: 0), account: try row.decode(atIndex: 1), name: try row.decode(atIndex: 2), email: try row.decode(atIndex: 3), mobile: try row.decode(atIndex: 4),
            accountType: AccountType(rawValue: type) ?? .regular, groupIds: groupIds,
            disabledReason: reason.flatMap(DisabledReason.init(rawValue:)), managed: try row.decode(atIndex: 7), externalId: try row.decode(atIndex: 8),
            thirdParty: ThirdPartyCoding.decode(thirdParty), ownsResources: ownsResources, leftAt: try row.decode(atIndex: 10))
    }
}
