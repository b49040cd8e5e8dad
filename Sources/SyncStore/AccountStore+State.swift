import Foundation
import GRDB
import SyncCore

extension AccountStore {
    /// The users and groups as they are now: the "before" side of a plan.
    public func state() throws(StoreError) -> AccountState {
        try read { db in try Self.state(db) }
    }

    static func state(_ db: Database) throws -> AccountState {
        let groups = try groups(db)
        // Memberships come with the group's row id, so that every member of a group shares the
        // group's one id string (a million members: a million strings fewer to make and keep).
        var groupIdsByRowId: [Int64: String] = [:]
        for group in groups { groupIdsByRowId[group.id] = group.groupId }
        let userOwners = Set(try Int64.fetchAll(db, sql: "SELECT DISTINCT ownerUserId FROM resources WHERE ownerUserId IS NOT NULL"))

        // Users and memberships both in user id order, merged as they are read.
        let memberships = try Row.fetchCursor(db, sql: """
            SELECT m.userId, g.id, CASE WHEN g.id IS NULL THEN m.groupId END
            FROM memberships m LEFT JOIN user_groups g ON g.groupId = m.groupId ORDER BY m.userId, m.groupId
            """)
        var membership = try memberships.next()
        var users: [ExistingUser] = []
        let userCursor = try Row.fetchCursor(db, sql: "SELECT \(userColumns) FROM users ORDER BY id")
        while let row = try userCursor.next() {
            let id: Int64 = try row.decode(atIndex: 0)
            var groupIds: [String] = []
            while let current = membership {
                let userId: Int64 = try current.decode(atIndex: 0)
                if userId > id { break }
                if userId == id {
                    let rowId: Int64? = try current.decode(atIndex: 1)
                    if let groupId = rowId.flatMap({ groupIdsByRowId[$0] }) { groupIds.append(groupId) } else { groupIds.append(try current.decode(atIndex: 2)) }
                }
                membership = try memberships.next()
            }
            users.append(try user(row, groupIds: groupIds, ownsResources: userOwners.contains(id)))
        }
        return AccountState(users: users, groups: groups)
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

    /// The user with this account as runs compare accounts (`Normalize.account`), read alone
    /// through the index of the normalised accounts: one row, its memberships and whether it owns
    /// resources — not the whole store.
    static func user(_ db: Database, account: String) throws -> ExistingUser? {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT \(userColumns) FROM users WHERE accountKey = ? ORDER BY id LIMIT 1", arguments: [Normalize.account(account)])
        else {
            return nil
        }
        let id: Int64 = try row.decode(atIndex: 0)
        let groupIds = try String.fetchAll(db, sql: "SELECT groupId FROM memberships WHERE userId = ? ORDER BY groupId", arguments: [id])
        let owns = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM resources WHERE ownerUserId = ?)", arguments: [id]) ?? false
        return try user(row, groupIds: groupIds, ownsResources: owns)
    }

    static let userColumns = "id, account, name, email, mobile, accountType, disabledReason, managed, externalId, thirdParty, leftAt, sourceDigest"

    /// One row of `userColumns` as an `ExistingUser`.
    static func user(_ row: Row, groupIds: [String], ownsResources: Bool) throws -> ExistingUser {
        let reason: String? = try row.decode(atIndex: 6)
        let type: String = try row.decode(atIndex: 5)
        let thirdParty: String = try row.decode(atIndex: 9)
        return ExistingUser(
            id: try row.decode(atIndex: 0), account: try row.decode(atIndex: 1), name: try row.decode(atIndex: 2), email: try row.decode(atIndex: 3), mobile: try row.decode(atIndex: 4),
            accountType: AccountType(rawValue: type) ?? .regular, groupIds: groupIds,
            disabledReason: reason.flatMap(DisabledReason.init(rawValue:)), managed: try row.decode(atIndex: 7), externalId: try row.decode(atIndex: 8),
            thirdParty: ThirdPartyCoding.decode(thirdParty), ownsResources: ownsResources, leftAt: try row.decode(atIndex: 10),
            sourceDigest: try row.decode(atIndex: 11))
    }
}
