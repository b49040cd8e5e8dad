import Foundation
import Testing

/// Runs the real `account-sync` binary in a temporary folder with its own config and store.
final class CLI {
    let folder: URL
    var configPath: String { folder.appendingPathComponent("config.yaml").path }
    var storePath: String { folder.appendingPathComponent("store.sqlite").path }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    init(config: String? = nil) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("account-sync-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try (config ?? Self.defaultConfig).write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    static let defaultConfig = """
        store: { path: store.sqlite }
        sync:
          users: { dataset: people }
          groups: { dataset: org }
          safeguard: { maxUserDeletions: 1, maxGroupDeletions: 1, deletedUsers: disable }
        """

    /// The default config without the protection of administrators, for tests where the sample's
    /// Administrator (alice) leaves like anyone else.
    static let unprotectedConfig = defaultConfig.replacingOccurrences(
        of: "deletedUsers: disable }", with: "deletedUsers: disable, protect: { administrators: false } }")

    /// The binary built next to the test bundle (`swift build` puts products side by side).
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["ACCOUNT_SYNC_BIN"] { return URL(fileURLWithPath: path) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("account-sync")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/account-sync")
    }()

    func write(_ name: String, _ text: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts the binary; the caller waits for it or kills it.
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["ACCOUNT_SYNC_CONFIG"] = configPath
        env.merge(environment) { $1 }
        process.environment = env
        process.currentDirectoryURL = folder
        let out = folder.appendingPathComponent("out-\(UUID().uuidString)")
        let err = folder.appendingPathComponent("err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, out, err)
    }

    @discardableResult
    func run(_ arguments: String..., environment: [String: String] = [:]) throws -> Result {
        try run(arguments, environment: environment)
    }

    /// Runs and parses stdout as a JSON object.
    func json(_ arguments: String...) throws -> (Int32, [String: Any]) {
        let result = try run(arguments)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (result.status, try #require(object, "stdout was not a JSON object: \(result.stdout) \(result.stderr)"))
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let (process, out, err) = try start(arguments, environment: environment)
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Imports the standard small organisation.
    func importSample() throws {
        let org = try write("org.csv", "groupId,name,parentGroupId\nacme,Acme,\neng,Engineering,acme\n")
        let people = try write("people.csv", "account,name,email,accountType,groupIds\nalice,Alice,alice@x.example,Administrator,eng\nbob,Bob,bob@x.example,Regular User,acme\n")
        #expect(try run("datasets", "import", "--kind", "groups", "org", org).status == 0)
        #expect(try run("datasets", "import", "--kind", "users", "people", people).status == 0)
    }

    /// curl with its status code: the body, and the HTTP status (0 when no answer).
    static func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "30"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }
}
