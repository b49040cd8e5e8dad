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
            memberships[row[0], default: []].append(row[1])
        }
        let userOwners = Set(try Int64.fetchAll(db, sql: "SELECT DISTINCT ownerUserId FROM resources WHERE ownerUserId IS NOT NULL"))

        var users: [ExistingUser] = []
        let userCursor = try Row.fetchCursor(db, sql: "SELECT \(userColumns) FROM users ORDER BY id")
        while let row = try userCursor.next() {
            let id: Int64 = row[0]
            users.append(user(row, groupIds: memberships[id] ?? [], ownsResources: userOwners.contains(id)))
        }
        return AccountState(users: users, groups: try groups(db))
    }

    /// Every user group, without reading the users.
    static func groups(_ db: Database) throws -> [ExistingGroup] {
        let owners = Set(try String.fetchAll(db, sql: "SELECT DISTINCT ownerGroupId FROM resources WHERE ownerGroupId IS NOT NULL"))
        return try Row.fetchAll(db, sql: "SELECT id, groupId, name, parentGroupId, externalId, managed, thirdParty FROM user_groups ORDER BY id").map { row in
            ExistingGroup(
                id: row[0], groupId: row[1], name: row[2], parentGroupId: row[3], externalId: row[4], managed: row[5],
                ownsResources: owners.contains(row[1]), thirdParty: ThirdPartyCoding.decode(row[6]))
        }
    }

    /// The user with exactly this account (the column's case-insensitive collation), read alone:
    /// one row, its memberships and whether it owns resources — not the whole store.
    static func user(_ db: Database, account: String) throws -> ExistingUser? {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(userColumns) FROM users WHERE account = ?", arguments: [account]) else {
            return nil
        }
        let id: Int64 = row[0]
        let groupIds = try String.fetchAll(db, sql: "SELECT groupId FROM memberships WHERE userId = ? ORDER BY groupId", arguments: [id])
        let owns = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM resources WHERE ownerUserId = ?)", arguments: [id]) ?? false
        return user(row, groupIds: groupIds, ownsResources: owns)
    }

    private static let userColumns = "id, account, name, email, mobile, accountType, disabledReason, managed, externalId, thirdParty, leftAt"

    /// One row of `userColumns` as an `ExistingUser`.
    private static func user(_ row: Row, groupIds: [String], ownsResources: Bool) -> ExistingUser {
        let reason: String? = row[6]
        let type: String = row[5]
        let thirdParty: String = row[9]
        return ExistingUser(
            id: row[0], account: row[1], name: row[2], email: row[3], mobile: row[4],
            accountType: AccountType(rawValue: type) ?? .regular, groupIds: groupIds,
            disabledReason: reason.flatMap(DisabledReason.init(rawValue:)), managed: row[7], externalId: row[8],
            thirdParty: ThirdPartyCoding.decode(thirdParty), ownsResources: ownsResources, leftAt: row[10])
    }
}
