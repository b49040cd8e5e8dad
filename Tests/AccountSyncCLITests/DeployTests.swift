import Foundation
import Testing

@Suite("deploy/: install script and systemd units", .serialized)
struct DeployTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func installScript(_ action: String, stage: URL) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.root.appendingPathComponent("deploy/install.sh").path, action]
        process.environment = ProcessInfo.processInfo.environment.merging(["DESTDIR": stage.path, "ACCOUNT_SYNC_BIN": CLI.binary.path]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func installIsIdempotentKeepsTheConfigAndUninstallKeepsTheData() throws {
        let stage = FileManager.default.temporaryDirectory.appendingPathComponent("stage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: stage) }
        let (status, output) = try installScript("install", stage: stage)
        #expect(status == 0, "\(output)")
        let files = ["usr/local/bin/account-sync", "usr/local/lib/account-sync/alert-hook", "etc/account-sync/config.yaml",
                     "etc/systemd/system/account-sync.service", "etc/systemd/system/account-sync.timer",
                     "etc/systemd/system/account-sync-alert@.service", "etc/systemd/system/account-sync.timer.d/schedule.conf",
                     "etc/systemd/system/account-sync-web.service"]
        for file in files { #expect(FileManager.default.fileExists(atPath: stage.appendingPathComponent(file).path), "missing \(file)") }
        let dropIn = try String(contentsOf: stage.appendingPathComponent("etc/systemd/system/account-sync.timer.d/schedule.conf"), encoding: .utf8)
        #expect(dropIn.contains("OnCalendar=\n") && dropIn.contains("OnCalendar=*-*-* 02:30:00"))

        let config = stage.appendingPathComponent("etc/account-sync/config.yaml")
        try (String(contentsOf: config, encoding: .utf8) + "# edited by the admin\n").write(to: config, atomically: true, encoding: .utf8)
        let (again, againOutput) = try installScript("install", stage: stage)
        #expect(again == 0)
        #expect(againOutput.contains("kept the existing"))
        #expect(try String(contentsOf: config, encoding: .utf8).hasSuffix("# edited by the admin\n"))

        let (removed, _) = try installScript("uninstall", stage: stage)
        #expect(removed == 0)
        #expect(!FileManager.default.fileExists(atPath: stage.appendingPathComponent("usr/local/bin/account-sync").path))
        #expect(!FileManager.default.fileExists(atPath: stage.appendingPathComponent("etc/systemd/system/account-sync.service").path))
        #expect(!FileManager.default.fileExists(atPath: stage.appendingPathComponent("etc/systemd/system/account-sync-web.service").path))
        #expect(FileManager.default.fileExists(atPath: config.path))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "needs systemd-analyze (Debian's systemd)"))
    func unitsPassSystemdAnalyzeVerify() throws {
        let stage = FileManager.default.temporaryDirectory.appendingPathComponent("stage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: stage) }
        #expect(try installScript("install", stage: stage).0 == 0)
        // Point the units at the staged files, then let systemd check them.
        let units = FileManager.default.temporaryDirectory.appendingPathComponent("units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: units, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: units) }
        var paths: [String] = []
        for unit in ["account-sync.service", "account-sync.timer", "account-sync-alert@.service", "account-sync-web.service"] {
            let text = try String(contentsOf: stage.appendingPathComponent("etc/systemd/system/\(unit)"), encoding: .utf8)
            let path = units.appendingPathComponent(unit).path
            try text.replacingOccurrences(of: "/usr/local/", with: stage.path + "/usr/local/").write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify", "--man=no"] + paths
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.isEmpty, "\(text)")
        let service = try String(contentsOfFile: paths[0], encoding: .utf8)
        for directive in ["DynamicUser=yes", "StateDirectory=account-sync", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                          "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "LoadCredential=ldap-bind:"] {
            #expect(service.contains(directive), "missing \(directive)")
        }
        let web = try String(contentsOfFile: paths[3], encoding: .utf8)
        for directive in ["ExecStart=\(stage.path)/usr/local/bin/account-sync serve", "Restart=on-failure", "User=account-sync", "DynamicUser=yes",
                          "StateDirectory=account-sync", "ReadWritePaths=/var/lib/account-sync", "ProtectSystem=strict", "NoNewPrivileges=yes",
                          "KillSignal=SIGTERM", "CapabilityBoundingSet="] {
            #expect(web.contains(directive), "web unit: missing \(directive)")
        }
        #expect(service.contains("User=account-sync") && service.contains("TimeoutStartSec="))
        let timer = try String(contentsOfFile: paths[1], encoding: .utf8)
        #expect(timer.contains("Persistent=true") && timer.contains("RandomizedDelaySec="))
    }
}
