import Foundation
import SyncCore
import SyncStore
import Testing

/// A new version of a stored dataset rewrites only the rows that changed, and still ends up
/// exactly as the new version, row for row and in order.
@Suite struct DatasetReplaceTests {
    static func person(_ index: Int, name: String? = nil) -> UserRow {
        UserRow(
            account: "user\(index)", name: name ?? "User \(index)", email: "user\(index)@example.com", mobile: "+86 138\(index)",
            accountType: "Regular User", groupIds: ["g\(index % 3)"], disabled: false, externalId: "guid-\(index)",
            thirdParty: ["ldapDN": "uid=user\(index),ou=People,dc=example,dc=com"])
    }

    /// Stores `rows` as dataset "people"; returns how many rows were written.
    static func store(_ rows: [UserRow], in store: AccountStore) throws -> Int {
        var written = 0
        try store.replaceDataset(name: "people", kind: .users, source: "test") { writer in
            try writer.append(users: rows)
            written = writer.written
        }
        return written
    }

    @Test func onlyChangedRowsAreWrittenAndTheResultIsTheNewVersion() throws {
        let workspace = try Workspace()
        let store = try workspace.store()
        let first = (0..<50).map { Self.person($0) }
        #expect(try Self.store(first, in: store) == 50)
        #expect(try Self.store(first, in: store) == 0)

        // One renamed, one disabled, the last five gone.
        var second = Array(first.prefix(45))
        second[7] = Self.person(7, name: "Renamed Seven")
        second[20].disabled = true
        #expect(try Self.store(second, in: store) == 2)
        #expect(try store.userRows(dataset: "people") == second)
        #expect(try store.dataset(named: "people")?.rowCount == 45)

        // Rows inserted in the middle shift the rest: they are rewritten, and the order holds.
        var third = second
        third.insert(Self.person(100), at: 10)
        #expect(try Self.store(third, in: store) == 36)
        #expect(try store.userRows(dataset: "people") == third)

        // A group id list or a third-party id that changes is a change.
        var fourth = third
        fourth[0].groupIds = ["g0", "g9"]
        fourth[1].thirdParty["hr"] = "4711"
        #expect(try Self.store(fourth, in: store) == 2)
        #expect(try store.userRows(dataset: "people") == fourth)
    }

    @Test func aDatasetOfAnotherKindIsReplacedWhole() throws {
        let workspace = try Workspace()
        let store = try workspace.store()
        try store.replaceDataset(name: "people", groups: [GroupRow(groupId: "g1", name: "One", parentGroupId: "", externalId: "", thirdParty: [:])], source: "test")
        #expect(try Self.store([Self.person(1)], in: store) == 1)
        #expect(try store.dataset(named: "people")?.kind == .users)
        #expect(try store.groupRows(dataset: "people").isEmpty)
        #expect(try store.userRows(dataset: "people") == [Self.person(1)])
    }

    @Test func groupRowsToo() throws {
        let workspace = try Workspace()
        let store = try workspace.store()
        let groups = (0..<10).map { GroupRow(groupId: "g\($0)", name: "Group \($0)", parentGroupId: $0 == 0 ? "" : "g0", externalId: "ou-\($0)", thirdParty: [:]) }
        try store.replaceDataset(name: "org", groups: groups, source: "test")
        var changed = groups
        changed[3].parentGroupId = "g1"
        var written = 0
        try store.replaceDataset(name: "org", kind: .groups, source: "test") { writer in
            try writer.append(groups: changed)
            written = writer.written
        }
        #expect(written == 1)
        #expect(try store.groupRows(dataset: "org") == changed)
    }
}
