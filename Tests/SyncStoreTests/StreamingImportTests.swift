import Foundation
import SyncCore
import SyncStore
import Testing

@testable import AccountSyncApp

/// A dataset file is stored batch by batch as it is read, in one transaction: a bad line after
/// many batches still leaves the earlier version exactly as it was.
@Suite struct StreamingImportTests {
    static func people(_ count: Int, brokenAt broken: Int? = nil, jsonLines: Bool = false) -> String {
        var lines = jsonLines ? [] : ["account,name,email,groupIds"]
        for index in 0..<count {
            if index == broken {
                lines.append(jsonLines ? "{\"account\": \"user\(index)\", \"name\": " : "user\(index),\"unterminated,x@example.com,eng")
            } else {
                lines.append(jsonLines
                    ? "{\"account\": \"user\(index)\", \"name\": \"User \(index)\", \"groupIds\": [\"eng\"]}"
                    : "user\(index),User \(index),user\(index)@example.com,eng")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test(arguments: [false, true])
    func aBadLineAfterManyBatchesLeavesTheEarlierVersion(jsonLines: Bool) throws {
        let workspace = try Workspace()
        let ext = jsonLines ? "jsonl" : "csv"
        let first = workspace.folder.appendingPathComponent("first.\(ext)")
        try Self.people(3, jsonLines: jsonLines).write(to: first, atomically: true, encoding: .utf8)
        let before = try workspace.app.importDataset(kind: .users, name: "people", file: first.path)
        #expect(before.rowCount == 3)

        // 35,000 rows: three batches of 10,000 are written before the bad row is read.
        let big = workspace.folder.appendingPathComponent("big.\(ext)")
        try Self.people(35_000, brokenAt: 34_000, jsonLines: jsonLines).write(to: big, atomically: true, encoding: .utf8)
        #expect {
            try workspace.app.importDataset(kind: .users, name: "people", file: big.path)
        } throws: { error in
            let message = (error as? AppError)?.message ?? ""
            return message.contains("big.\(ext):\(jsonLines ? 34_001 : 34_002)")
        }
        let after = try #require(try workspace.app.datasets().first { $0.name == "people" })
        #expect(after.rowCount == 3)
        #expect(after.source == first.path)
        #expect(try workspace.app.datasetRows(name: "people", page: 1, perPage: 10)?.users.map(\.account) == ["user0", "user1", "user2"])

        // The good file of the same size is stored whole, in file order.
        try Self.people(35_000, jsonLines: jsonLines).write(to: big, atomically: true, encoding: .utf8)
        let stored = try workspace.app.importDataset(kind: .users, name: "people", file: big.path)
        #expect(stored.rowCount == 35_000)
        let last = try #require(try workspace.app.datasetRows(name: "people", page: 700, perPage: 50))
        #expect(last.users.last?.account == "user34999")
        #expect(last.users.last?.groupIds == ["eng"])
    }
}

/// The pull's and the import's way into the store: batches made on one thread, written on another
/// in the dataset's one transaction. A producer that fails after some batches were written leaves
/// the earlier version, and its error comes back as it was thrown.
@Suite struct ProducedDatasetTests {
    struct PullCut: Error, Equatable {}

    @Test func aProducerThatFailsAfterWrittenBatchesLeavesTheEarlierVersion() throws {
        let workspace = try Workspace()
        let store = try workspace.store()
        let earlier = (0..<5).map { DatasetReplaceTests.person($0) }
        try store.replaceDataset(name: "people", users: earlier, source: "test")

        #expect(throws: PullCut.self) {
            try store.replaceDataset(name: "people", kind: .users, source: "directory", producing: { (put: @escaping ([UserRow]) -> Bool) throws(PullCut) in
                for batch in 0..<3 {
                    _ = put((0..<1_000).map { DatasetReplaceTests.person(batch * 1_000 + $0 + 100) })
                }
                throw PullCut()
            }, write: { writer, batch in try writer.append(users: batch) })
        }
        #expect(try store.userRows(dataset: "people") == earlier)

        try store.replaceDataset(name: "people", kind: .users, source: "directory", producing: { (put: @escaping ([UserRow]) -> Bool) throws(PullCut) in
            for batch in 0..<3 { _ = put((0..<1_000).map { DatasetReplaceTests.person(batch * 1_000 + $0) }) }
        }, write: { writer, batch in try writer.append(users: batch) })
        #expect(try store.userRows(dataset: "people").count == 3_000)
        #expect(try store.userRows(dataset: "people", limit: 1, offset: 2_999).first?.account == "user2999")
    }
}
