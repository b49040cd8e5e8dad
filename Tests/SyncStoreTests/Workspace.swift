import AccountSyncApp
import AccountSyncConfig
import Foundation
import Logging
import SyncCore
import SyncStore

/// A temporary folder with a config and a real SQLite store, removed when the test ends.
final class Workspace {
    let folder: URL
    var config: Configuration

    init(policy: SyncPolicy = SyncPolicy(), users: String? = "people", groups: String? = "org") throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("account-sync-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        config = Configuration(
            file: folder.appendingPathComponent("config.yaml").path, storePath: folder.appendingPathComponent("store.sqlite").path,
            usersDataset: users, groupsDataset: groups, policy: policy)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    var app: AccountSync { AccountSync(config: config, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) }

    func store() throws -> AccountStore { try AccountStore(path: config.storePath) }

    /// Writes `text` to a file in the workspace and imports it as a dataset.
    @discardableResult
    func importDataset(_ kind: DatasetKind, _ name: String, csv text: String) throws -> DatasetInfo {
        let file = folder.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(6)).csv")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try app.importDataset(kind: kind, name: name, file: file.path)
    }

    func run(allowDeletions: Int? = nil) throws -> RunRecord {
        try app.run(AccountSync.RunOptions(allowDeletions: allowDeletions))
    }
}

let orgCSV = """
    groupId,name,parentGroupId
    acme,Acme,
    eng,Engineering,acme
    sales,Sales,acme
    """

let peopleCSV = """
    account,name,email,mobile,accountType,groupIds,disabled
    alice,Alice,alice@acme.example,+44 7700 900001,Administrator,eng,
    bob,Bob,bob@acme.example,+44 7700 900002,Regular User,sales,
    carol,Carol,carol@acme.example,,Read-Only User,eng;sales,yes
    """
