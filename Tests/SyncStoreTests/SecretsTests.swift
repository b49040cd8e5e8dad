@testable import AccountSyncApp
import DirectoryConnector
import Foundation
import Testing

@Suite("Bind password sources")
struct SecretsTests {
    @Test func fileDropsOneTrailingNewline() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "s3cret pass\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try Secrets.read(.file(path)) == "s3cret pass")
    }

    @Test func environmentVariable() throws {
        #expect(try Secrets.read(.environment("BIND_PW"), environment: ["BIND_PW": "from-env"]) == "from-env")
        #expect(throws: AppError.self) { try Secrets.read(.environment("BIND_PW"), environment: [:]) }
    }

    @Test func systemdCredential() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "from-credential".write(to: folder.appendingPathComponent("ldap-bind"), atomically: true, encoding: .utf8)
        #expect(try Secrets.read(.credential("ldap-bind"), environment: ["CREDENTIALS_DIRECTORY": folder.path]) == "from-credential")
        do {
            _ = try Secrets.read(.credential("ldap-bind"), environment: [:])
            Issue.record("read a credential without CREDENTIALS_DIRECTORY")
        } catch {
            #expect(error.message.contains("LoadCredential=ldap-bind"))
        }
    }

    @Test func missingAndEmptyFilesSayWhich() throws {
        do {
            _ = try Secrets.read(.file("/nonexistent/bind.pw"))
            Issue.record("read a missing file")
        } catch {
            #expect(error.status == .configInvalid)
            #expect(error.message.contains("/nonexistent/bind.pw does not exist"))
        }
    }
}
