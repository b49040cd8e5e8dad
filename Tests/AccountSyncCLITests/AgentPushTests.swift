import Foundation
import SlapdFixture
import Testing

/// A connector agent on "another host" (its own folder and config) pulling from a real slapd and
/// pushing to a real core (`serve` over TLS with a CA the test makes); and pushes that must not
/// land: cut in the middle, a wrong digest.
@Suite("Agents push to the core (real slapd, real serve, TLS)", .serialized)
final class AgentPushTests {
    let core: CLI
    let slapd: Slapd
    let ca: String
    let port: Int
    var server: Process?

    init() throws {
        slapd = try Slapd(ldif: sampleOrganisation)
        core = try CLI(config: "store: { path: store.sqlite }\n")
        ca = try Slapd.makeCertificates(in: core.folder)
        port = try Slapd.freePort()
    }

    deinit {
        if let server, server.isRunning {
            kill(server.processIdentifier, SIGTERM)
            server.waitUntilExit()
        }
    }

    /// Starts the core: sync settings in its store, served over TLS (or plain on loopback).
    func startCore(tls: Bool = true) throws -> String {
        try """
            store: { path: store.sqlite }
            server:
              listen: 127.0.0.1:\(port)
            \(tls ? "  tls: { certFile: \(core.folder.path)/server.pem, keyFile: \(core.folder.path)/server.key }" : "")
            """.write(toFile: core.configPath, atomically: true, encoding: .utf8)
        #expect(try core.run("settings", "set", "users.dataset", "people").status == 0)
        #expect(try core.run("settings", "set", "groups.dataset", "org").status == 0)
        let (process, _, _) = try core.start(["serve"])
        server = process
        let base = "\(tls ? "https" : "http")://127.0.0.1:\(port)"
        for _ in 0..<100 {
            if try curl(["--cacert", ca, "\(base)/healthz"]).status == 200 { return base }
            usleep(100_000)
        }
        Issue.record("the core did not start")
        return base
    }

    func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        try CLI.curl(arguments)
    }

    /// An agent host: its own folder, a source: (the slapd) and a core: section.
    func agent(uri: String? = nil, base: String) throws -> CLI {
        let token = try #require(try core.run("tokens", "create", "hq-dc1-\(UUID().uuidString.prefix(4))", "--scope", "push").stdout.split(separator: "\n").last.map(String.init))
        let agent = try CLI(config: "")
        let tokenFile = try agent.write("push.token", token + "\n")
        let passwordFile = try agent.write("bind.pw", slapd.adminPassword + "\n")
        try """
            store: { path: agent-store.sqlite }
            source:
              uri: "\(uri ?? slapd.uri)"
              allowInsecureBind: true
              bind: { dn: "\(slapd.adminDN)", passwordFile: \(passwordFile) }
              timeouts: { network: 2, operation: 10 }
              users: { base: "ou=Acme,dc=example,dc=com" }
              groups: { from: both, base: "dc=example,dc=com" }
            core:
              url: \(base)
              token: { file: \(tokenFile) }
              tls: { caFile: \(ca) }
              agent: hq-dc1
            """.write(toFile: agent.configPath, atomically: true, encoding: .utf8)
        return agent
    }

    @Test func aPullOnTheAgentHostBecomesARunAtTheCore() throws {
        let base = try startCore()
        let agent = try agent(base: base)
        let result = try agent.run("run")
        // The entry without a uid fails its row (as a local run would): partially failed, exit 2.
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Run #1: partially_failed (agent)"))
        let (_, run) = try core.json("history", "show", "1", "--json")
        let info = try #require(run["agent"] as? [String: Any])
        #expect(info["name"] as? String == "hq-dc1")
        #expect((info["source"] as? String)?.contains(slapd.uri) == true)
        #expect((run["startedBy"] as? String)?.hasPrefix("token:hq-dc1") == true)
        #expect(try core.run("users", "list").stdout.contains("alice"))
        #expect(!FileManager.default.fileExists(atPath: agent.folder.appendingPathComponent("agent-store.sqlite").path))

        // pull --push replaces the datasets without a run.
        #expect(try agent.run("pull", "--push").status == 0)
        #expect(!(try core.run("history").stdout.contains("\n3 ")))
    }

    @Test func anIncompletePullIsNeverPushedAndIsRecordedAtTheCore() throws {
        let base = try startCore()
        let agent = try agent(uri: "ldap://127.0.0.1:\(try Slapd.freePort())", base: base)
        let result = try agent.run("run")
        #expect(result.status == 1)
        #expect(result.stderr.contains("SOURCE_INCOMPLETE"))
        let (_, run) = try core.json("history", "show", "1", "--json")
        #expect((run["failure"] as? [String: Any])?["code"] as? String == "SOURCE_INCOMPLETE")
        #expect((run["agent"] as? [String: Any])?["name"] as? String == "hq-dc1")
        #expect(!(try core.run("datasets", "list").stdout.contains("people")))
    }

    @Test func aPushCutInTheMiddleOrWithAWrongDigestChangesNothing() throws {
        let base = try startCore(tls: false)
        let token = try #require(try core.run("tokens", "create", "cutter", "--scope", "push").stdout.split(separator: "\n").last.map(String.init))
        let people = try core.write("people.csv", "account,name\nkept,Kept\n")
        #expect(try core.run("datasets", "import", "--kind", "users", "people", people).status == 0)
        let before = try core.run("datasets", "show", "people").stdout

        let opened = try curl(["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json", "-d", #"{"agent":"cutter"}"#, "\(base)/api/v1/push"])
        #expect(opened.status == 201)
        let session = try #require((try JSONSerialization.jsonObject(with: Data(opened.body.utf8)) as? [String: Any])?["id"] as? String)

        // A body announced as 200,000 bytes, cut after 60,000: the connection closes mid-upload.
        var lines = ""
        for index in 0..<5_000 { lines += "{\"account\":\"cut\(index)\",\"name\":\"Cut \(index)\"}\n" }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(connected == 0)
        let head = "PUT /api/v1/push/\(session)/users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nX-Row-Count: 5000\r\nX-Content-SHA256: \(String(repeating: "0", count: 64))\r\nContent-Length: 200000\r\n\r\n"
        let bytes = Array((head + lines).utf8).prefix(head.utf8.count + 60_000)
        _ = bytes.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count, 0) }
        usleep(300_000)
        close(fd)
        usleep(500_000)
        let commit = try curl(["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json", "-d", "{}", "\(base)/api/v1/push/\(session)/commit"])
        #expect(commit.status == 409, "\(commit.body)")
        #expect(try core.run("datasets", "show", "people").stdout == before)

        // A whole upload with a digest that does not match is refused, and nothing is kept.
        let file = try core.write("small.jsonl", "{\"account\":\"new\"}\n")
        let wrong = try curl([
            "-X", "PUT", "-H", "Authorization: Bearer \(token)", "-H", "X-Row-Count: 1", "-H", "X-Content-SHA256: \(String(repeating: "a", count: 64))",
            "--data-binary", "@\(file)", "\(base)/api/v1/push/\(session)/users",
        ])
        #expect(wrong.status == 400)
        #expect(wrong.body.contains("SHA-256"))
        #expect(try core.run("datasets", "show", "people").stdout == before)
        #expect(!(try core.run("datasets", "list").stdout.contains("~push/")))
    }
}
