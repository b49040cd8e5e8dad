import Foundation

/// A throwaway Samba Active Directory domain controller for tests, from Debian's packages: a domain
/// provisioned in a temp folder, LDAP and LDAPS on 127.0.0.2 only (an address added to `lo` for it,
/// so a system slapd on 389 cannot collide), a server certificate from a CA made here, and a
/// directory of nested OUs, `userCount` users (every 10th disabled) and a group with
/// `bigGroupSize` members. Stopped, and the address removed, when the value goes away.
public final class SambaDC {
    public let folder: URL
    public let address = "127.0.0.2"
    public let suffix = "DC=test,DC=lan"
    public let adminDN = "CN=Administrator,CN=Users,DC=test,DC=lan"
    public let adminPassword = "Adm1n-Secret!"
    public let caFile: String
    public let userCount: Int
    public let bigGroupSize: Int
    public var ldapsURI: String { "ldaps://\(address)" }
    public var ldapURI: String { "ldap://\(address)" }
    public var bigGroupDN: String { "CN=All Staff,OU=Groups,OU=Corp,\(suffix)" }
    private var pid: pid_t = 0
    private var addedAddress = false

    /// Whether this machine can run one: root, and Debian's samba-ad-dc packages installed.
    public static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/samba")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/samba-tool")
            && FileManager.default.fileExists(atPath: "/usr/share/samba/setup/ad-schema")
    }

    public init(userCount: Int = 2_100, bigGroupSize: Int = 1_600) throws {
        self.userCount = userCount
        self.bigGroupSize = bigGroupSize
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("samba-dc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        caFile = try Slapd.makeCertificates(in: folder, ip: address)
        chmod(folder.appendingPathComponent("server.key").path, 0o600)
        do {
            try addLoopbackAddress()
            try provision()
            try start()
            try populate()
        } catch {
            stop()
            throw error
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }

    private func addLoopbackAddress() throws {
        let shown = try output("/usr/sbin/ip", ["-o", "addr", "show", "dev", "lo"])
        guard !shown.contains("inet \(address)/") else { return }
        try Slapd.runToEnd("/usr/sbin/ip", ["addr", "add", "\(address)/32", "dev", "lo"])
        addedAddress = true
    }

    private func provision() throws {
        let path = folder.path
        try Slapd.runToEnd("/usr/bin/samba-tool", [
            "domain", "provision", "--targetdir=\(path)", "--realm=TEST.LAN", "--domain=TEST", "--server-role=dc",
            "--dns-backend=NONE", "--adminpass=\(adminPassword)",
            "--option=interfaces=\(address)", "--option=bind interfaces only=yes", "--option=server services=ldap",
            "--option=pid directory=\(path)/pid", "--option=log file=\(path)/samba.log",
            "--option=tls enabled=yes", "--option=tls keyfile=\(path)/server.key", "--option=tls certfile=\(path)/server.pem",
            "--option=tls cafile=\(path)/ca.pem",
        ])
    }

    private func start() throws {
        for port in [389, 636] where Slapd.canConnect(address: address, port: port) {
            throw SlapdError("port \(port) on \(address) is already in use (a system slapd or samba started by its package?); the test's domain controller cannot listen")
        }
        pid = try Slapd.spawn("/usr/sbin/samba", ["-i", "-M", "single", "-s", folder.appendingPathComponent("etc/smb.conf").path], log: folder.appendingPathComponent("samba.out").path)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                let log = (try? String(contentsOf: folder.appendingPathComponent("samba.out"), encoding: .utf8)) ?? ""
                throw SlapdError("samba exited at start: \(log.suffix(2000))")
            }
            if Slapd.canConnect(address: address, port: 636) { return }
            usleep(100_000)
        }
        throw SlapdError("samba did not listen on \(address):636 within 60 s")
    }

    /// Nested OUs, users (every 10th disabled), and a big group, added over LDAPS with ldapadd.
    private func populate() throws {
        var ldif = """
            dn: OU=Corp,\(suffix)
            objectClass: organizationalUnit

            dn: OU=Groups,OU=Corp,\(suffix)
            objectClass: organizationalUnit

            dn: OU=Sales\\, EMEA,OU=Corp,\(suffix)
            objectClass: organizationalUnit

            dn: OU=Team Zürich,OU=Sales\\, EMEA,OU=Corp,\(suffix)
            objectClass: organizationalUnit


            """
        let units = ["OU=Corp", "OU=Sales\\, EMEA,OU=Corp", "OU=Team Zürich,OU=Sales\\, EMEA,OU=Corp"]
        for index in 0..<userCount {
            // 0x220 = NORMAL_ACCOUNT | PASSWD_NOTREQD; +2 = ACCOUNTDISABLE.
            let control = index % 10 == 0 ? 546 : 544
            ldif += """
                dn: CN=User \(index),\(units[index % 3]),\(suffix)
                objectClass: user
                sAMAccountName: user\(index)
                displayName: User Number \(index)
                mail: user\(index)@test.lan
                userAccountControl: \(control)


                """
        }
        ldif += "dn: \(bigGroupDN)\nobjectClass: group\nsAMAccountName: allstaff\n"
        for index in 0..<bigGroupSize { ldif += "member: CN=User \(index),\(units[index % 3]),\(suffix)\n" }
        ldif += "\n"
        // Two groups of one name in different OUs; one lists a member outside OU=Corp.
        ldif += """
            dn: CN=Team,OU=Groups,OU=Corp,\(suffix)
            objectClass: group
            sAMAccountName: team-groups
            member: CN=User 3,OU=Corp,\(suffix)
            member: CN=Administrator,CN=Users,\(suffix)

            dn: CN=Team,OU=Sales\\, EMEA,OU=Corp,\(suffix)
            objectClass: group
            sAMAccountName: team-sales
            member: CN=User 4,OU=Sales\\, EMEA,OU=Corp,\(suffix)


            """
        let file = folder.appendingPathComponent("directory.ldif").path
        try ldif.write(toFile: file, atomically: true, encoding: .utf8)
        let passwordFile = folder.appendingPathComponent("admin.pw").path
        FileManager.default.createFile(atPath: passwordFile, contents: Data(adminPassword.utf8), attributes: [.posixPermissions: 0o600])
        try Slapd.runToEnd("/usr/bin/ldapadd", ["-x", "-H", ldapsURI, "-D", adminDN, "-y", passwordFile, "-f", file], environment: ["LDAPTLS_CACERT": caFile])
    }

    private func stop() {
        if pid > 0 {
            Slapd.terminate(pid, grace: 10)
            pid = 0
        }
        if addedAddress {
            try? Slapd.runToEnd("/usr/sbin/ip", ["addr", "del", "\(address)/32", "dev", "lo"])
            addedAddress = false
        }
    }

    private func output(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
