import Foundation
import SlapdFixture
import Testing

/// `account-sync serve` as a real process on loopback, with TLS from a CA the test makes, asked
/// with curl: the health check, authentication, a run started over HTTPS, a graceful SIGTERM.
@Suite("account-sync serve (a real server over TLS)", .serialized)
struct ServeCLITests {
    func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        try CLI.curl(arguments)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
    func serveOverTLSAuthenticatesRunsAndStopsGracefully() throws {
        let cli = try CLI()
        try cli.importSample()
        let ca = try Slapd.makeCertificates(in: cli.folder)
        let port = try Slapd.freePort()
        try (CLI.unprotectedConfig + """

            server:
              listen: 127.0.0.1:\(port)
              tls: { certFile: \(cli.folder.path)/server.pem, keyFile: \(cli.folder.path)/server.key }
            """).write(toFile: cli.configPath, atomically: true, encoding: .utf8)
        let token = try #require(try cli.run("tokens", "create", "ci", "--scope", "admin").stdout.split(separator: "\n").last.map(String.init))
        #expect(token.hasPrefix("ast_"))
        #expect(!(try cli.run("tokens", "list").stdout.contains(token)))

        let (server, _, errors) = try cli.start(["serve"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let base = "https://127.0.0.1:\(port)"
        var health = (status: 0, body: "")
        for _ in 0..<100 where health.status != 200 {
            usleep(100_000)
            health = try curl(["--cacert", ca, "\(base)/healthz"])
        }
        #expect(health.status == 200, "\((try? String(contentsOf: errors, encoding: .utf8)) ?? "")")
        // Not trusted without the CA: TLS is verified.
        #expect(try curl(["\(base)/healthz"]).status == 0)
        #expect(try curl(["--cacert", ca, "\(base)/api/v1/runs"]).status == 401)
        let started = try curl(["--cacert", ca, "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json", "-d", "{}", "\(base)/api/v1/runs"])
        #expect(started.status == 202, "\(started.body)")
        var finished = false
        for _ in 0..<100 where !finished {
            usleep(100_000)
            finished = try curl(["--cacert", ca, "-H", "Authorization: Bearer \(token)", "\(base)/api/v1/runs/1/progress"]).body.contains("\"finished\"")
        }
        #expect(finished)
        // The CLI sees the same history.
        #expect(try cli.run("history").stdout.contains("api"))
        let headers = try curl(["--cacert", ca, "-D", "-", "\(base)/healthz"]).body.lowercased()
        #expect(headers.contains("strict-transport-security"))

        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
    }

    @Test func plainHTTPOnAnOpenAddressIsRefused() throws {
        let cli = try CLI(config: CLI.defaultConfig + "\nserver: { listen: \"0.0.0.0:\(try Slapd.freePort())\" }\n")
        let result = try cli.run("serve")
        #expect(result.status == 78)
        #expect(result.stderr.contains("refusing to serve plain HTTP on 0.0.0.0"))
    }

    @Test func adminPasswordsComeFromFilesOrStandardInputNeverArguments() throws {
        let cli = try CLI()
        let file = try cli.write("alice.pw", "correct horse battery\n")
        #expect(try cli.run("admins", "add", "alice", "--password-file", file).status == 0)
        #expect(try cli.run("admins", "add", "alice", "--password-file", file).status == 65)
        let short = try cli.write("short.pw", "short\n")
        let refused = try cli.run("admins", "add", "bob", "--password-file", short)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("at least 12"))
        #expect(try cli.run("admins", "list").stdout.contains("alice"))
        let totp = try cli.run("admins", "totp", "alice")
        #expect(totp.stdout.hasPrefix("otpauth://totp/"))
        #expect(try cli.run("admins", "list").stdout.contains("on"))
        #expect(try cli.run("admins", "remove", "alice").status == 0)
        #expect(try cli.run("admins", "remove", "alice").status == 66)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
    func sigtermDuringARunStartedThroughTheAPIRollsItBackAndRecordsIt() throws {
        let cli = try CLI(config: CLI.unprotectedConfig.replacingOccurrences(of: "maxUserDeletions: 1,", with: "maxUserDeletions: 100,") + "\nserver: { listen: \"127.0.0.1:\(try Slapd.freePort())\" }\n")
        try cli.importSample()
        #expect(try cli.run("run").status == 0)
        let before = try cli.run("users", "list", "--json").stdout
        var users = "account,name,groupIds\nalice,Alice,eng\nbob,Bob,acme\n"
        for index in 0..<20_000 { users += "user\(index),User \(index),eng\n" }
        #expect(try cli.run("datasets", "import", "--kind", "users", "people", try cli.write("big.csv", users)).status == 0)
        let config = try String(contentsOfFile: cli.configPath, encoding: .utf8)
        let port = try #require(config.split(separator: "\"").first { $0.hasPrefix("127.0.0.1:") }.map { String($0.dropFirst("127.0.0.1:".count)) })
        let token = try #require(try cli.run("tokens", "create", "ops", "--scope", "admin").stdout.split(separator: "\n").last.map(String.init))
        let marker = cli.folder.appendingPathComponent("halfway").path
        let (server, _, _) = try cli.start(["serve"], environment: ["ACCOUNT_SYNC_TEST_PAUSE_MID_APPLY": marker])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        var started = (status: 0, body: "")
        for _ in 0..<100 where started.status != 202 {
            usleep(100_000)
            started = try curl(["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json", "-d", "{}", "http://127.0.0.1:\(port)/api/v1/runs"])
        }
        #expect(started.status == 202, "\(started.body)")
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: marker) { usleep(100_000) }
        #expect(FileManager.default.fileExists(atPath: marker), "the run never reached the middle of its apply")
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        let (_, run) = try cli.json("history", "show", "2", "--json")
        #expect(run["status"] as? String == "failed")
        #expect((run["failure"] as? [String: Any])?["code"] as? String == "INTERRUPTED")
        #expect((run["failure"] as? [String: Any])?["message"] as? String != nil)
        #expect(try cli.run("users", "list", "--json").stdout == before)
    }
}
