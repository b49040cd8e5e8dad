import Foundation

/// A throwaway OpenLDAP server for tests: its own folder, config and database, on a free loopback
/// port, started in the foreground so the test owns its pid, and stopped (SIGTERM, then SIGKILL)
/// when the value goes away — also when the test fails.
public final class Slapd {
    public let folder: URL
    public let port: Int
    /// The `ldaps://` port when started with TLS.
    public let tlsPort: Int?
    /// The CA that signed the server's certificate, when started with TLS.
    public let caFile: String?
    public let suffix = "dc=example,dc=com"
    public let adminDN = "cn=admin,dc=example,dc=com"
    public let adminPassword = "admin-secret"
    public let readerDN = "cn=reader,dc=example,dc=com"
    public let readerPassword = "reader-secret"
    /// Non-admin binds see at most this many entries in one search, paged or not.
    public let readerSizeLimit = 100
    /// The server's process, for a benchmark that counts its CPU time.
    public let pid: pid_t
    private var reaped = false

    public var uri: String { "ldap://127.0.0.1:\(port)" }

    public var tlsURI: String { "ldaps://127.0.0.1:\(tlsPort ?? 0)" }

    /// Starts slapd with the sample directory `ldif` loaded (after the base entries); with `tls`,
    /// it also listens on `ldaps://` and offers StartTLS, with a certificate from a CA made here.
    public convenience init(ldif: String, tls: Bool = false) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("slapd-ldif-\(UUID().uuidString).ldif")
        try ldif.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try self.init(ldifFile: file.path, tls: tls)
    }

    /// Starts slapd with the entries of an LDIF file loaded after the base entries (for large
    /// directories that should not sit in memory as one string).
    public init(ldifFile: String, tls: Bool = false, maxSize: Int = 268_435_456) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("slapd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("db"), withIntermediateDirectories: true)
        port = try Self.freePort()
        tlsPort = tls ? try Self.freePort() : nil
        caFile = tls ? try Self.makeCertificates(in: folder) : nil
        let tlsConfig = tls ? """
            TLSCACertificateFile \(folder.path)/ca.pem
            TLSCertificateFile \(folder.path)/server.pem
            TLSCertificateKeyFile \(folder.path)/server.key
            TLSVerifyClient try
            authz-regexp "^cn=([^,]+)$" "cn=$1,dc=example,dc=com"

            """ : ""
        let config = folder.appendingPathComponent("slapd.conf").path
        try (tlsConfig + """
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/nis.schema
            include /etc/ldap/schema/inetorgperson.schema
            modulepath /usr/lib/ldap
            moduleload back_mdb
            moduleload memberof
            pidfile \(folder.path)/slapd.pid
            argsfile \(folder.path)/slapd.args
            access to attrs=userPassword by self write by anonymous auth by * none
            access to dn.subtree="ou=Secret,dc=example,dc=com" by dn.exact="\(readerDN)" read by * none
            access to * by * read
            database mdb
            maxsize \(maxSize)
            suffix "\(suffix)"
            rootdn "\(adminDN)"
            rootpw \(adminPassword)
            directory \(folder.path)/db
            index objectClass eq
            overlay memberof
            memberof-refint true
            limits users size.soft=\(readerSizeLimit) size.hard=\(readerSizeLimit) size.prtotal=\(readerSizeLimit)
            limits anonymous size.soft=\(readerSizeLimit) size.hard=\(readerSizeLimit) size.prtotal=\(readerSizeLimit)
            """).write(toFile: config, atomically: true, encoding: .utf8)
        let base = folder.appendingPathComponent("base.ldif").path
        try Self.baseLDIF(suffix: suffix, reader: readerDN, password: readerPassword).write(toFile: base, atomically: true, encoding: .utf8)
        try Self.runToEnd("/usr/sbin/slapadd", ["-q", "-f", config, "-l", base])
        try Self.runToEnd("/usr/sbin/slapadd", ["-q", "-f", config, "-l", ldifFile])

        pid = try Self.spawn(
            "/usr/sbin/slapd", ["-f", config, "-h", "ldap://127.0.0.1:\(port)/" + (tlsPort.map { " ldaps://127.0.0.1:\($0)/" } ?? ""), "-d", "0"],
            log: folder.appendingPathComponent("slapd.log").path)
        try (String(pid) + "\n").write(to: folder.appendingPathComponent("test-slapd.pid"), atomically: true, encoding: .utf8)
        do {
            try waitUntilListening()
        } catch {
            stop()
            throw error
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Kills the server at once (SIGKILL), as a crash or a dropped network would.
    public func crash() {
        guard !reaped else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        reaped = true
    }

    private func stop() {
        guard !reaped else { return }
        reaped = true
        Self.terminate(pid, grace: 5)
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; reaps the child either way.
    public static func terminate(_ pid: pid_t, grace: Double) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(grace)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return
            }
            usleep(5_000)
        }
    }

    /// Starts a program with an empty signal mask and default signal handlers. (Test threads block
    /// every signal, and a child started with `Process` inherits that mask: slapd would then never
    /// see SIGTERM.) Output goes to `log`.
    public static func spawn(_ path: String, _ arguments: [String], log: String) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard code == 0 else { throw SlapdError("cannot start \(path): \(String(cString: strerror(code)))") }
        return pid
    }

    private func waitUntilListening() throws {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let log = (try? String(contentsOf: folder.appendingPathComponent("slapd.log"), encoding: .utf8)) ?? ""
                throw SlapdError("slapd exited at start: \(log.suffix(2000))")
            }
            if Self.canConnect(address: "127.0.0.1", port: port) { return }
            usleep(50_000)
        }
        throw SlapdError("slapd did not listen on port \(port) within 15 s")
    }

    static func baseLDIF(suffix: String, reader: String, password: String) -> String {
        """
        dn: \(suffix)
        objectClass: dcObject
        objectClass: organization
        dc: example
        o: Example

        dn: \(reader)
        objectClass: person
        cn: reader
        sn: reader
        userPassword: \(password)


        """
    }

    /// Applies LDIF changes as the admin with ldapmodify (the password goes through a file).
    public func modify(_ ldif: String) throws {
        let passwordFile = folder.appendingPathComponent("admin.pw").path
        FileManager.default.createFile(atPath: passwordFile, contents: Data(adminPassword.utf8), attributes: [.posixPermissions: 0o600])
        let changes = folder.appendingPathComponent("change-\(UUID().uuidString).ldif").path
        try ldif.write(toFile: changes, atomically: true, encoding: .utf8)
        try Self.runToEnd("/usr/bin/ldapmodify", ["-x", "-H", uri, "-D", adminDN, "-y", passwordFile, "-f", changes])
    }

    /// The client certificate (CN=reader, which authz-regexp maps to the reader's DN) for SASL
    /// EXTERNAL, when started with TLS.
    public var clientCertificate: (certificate: String, key: String)? {
        tlsPort == nil ? nil : (folder.appendingPathComponent("client.pem").path, folder.appendingPathComponent("client.key").path)
    }

    /// A CA, a server certificate for 127.0.0.1 / localhost and a client certificate (CN=reader),
    /// both signed by it; returns the CA file.
    public static func makeCertificates(in folder: URL, ip: String = "127.0.0.1") throws -> String {
        let path = folder.path
        try """
            [req]
            distinguished_name = dn
            [dn]
            [server]
            subjectAltName = IP:\(ip), DNS:localhost
            basicConstraints = CA:FALSE
            keyUsage = digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth
            [client]
            basicConstraints = CA:FALSE
            keyUsage = digitalSignature, keyEncipherment
            extendedKeyUsage = clientAuth
            """.write(toFile: "\(path)/openssl.cnf", atomically: true, encoding: .utf8)
        let openssl = "/usr/bin/openssl"
        try runToEnd(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=account-sync test CA",
                               "-keyout", "\(path)/ca.key", "-out", "\(path)/ca.pem", "-config", "\(path)/openssl.cnf",
                               "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try signedCertificate("server", subject: "/CN=\(ip)", in: path)
        try signedCertificate("client", subject: "/CN=reader", in: path)
        return "\(path)/ca.pem"
    }

    /// A key and a certificate `NAME.key` / `NAME.pem` signed by the folder's CA, with the
    /// `[NAME]` extensions of its openssl.cnf.
    private static func signedCertificate(_ name: String, subject: String, in path: String) throws {
        let openssl = "/usr/bin/openssl"
        try runToEnd(openssl, ["req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", "\(path)/\(name).key",
                               "-out", "\(path)/\(name).csr", "-config", "\(path)/openssl.cnf"])
        try runToEnd(openssl, ["x509", "-req", "-in", "\(path)/\(name).csr", "-CA", "\(path)/ca.pem", "-CAkey", "\(path)/ca.key",
                               "-CAcreateserial", "-days", "2", "-out", "\(path)/\(name).pem", "-extfile", "\(path)/openssl.cnf", "-extensions", name])
    }

    /// A port nobody listens on right now (the kernel's choice for port 0).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SlapdError("socket() failed") }
        defer { close(fd) }
        guard let port = bindLoopback(fd) else { throw SlapdError("cannot find a free port") }
        return port
    }

    /// Binds a socket to a free port on 127.0.0.1; returns the port, or nil.
    static func bindLoopback(_ fd: Int32) -> Int? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }

    /// Whether a TCP connection to `address:port` succeeds now.
    public static func canConnect(address: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_addr.s_addr = inet_addr(address)
        socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    public static func runToEnd(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SlapdError("\(executable) \(arguments.joined(separator: " ")) failed: \(String(decoding: output, as: UTF8.self))")
        }
    }

    static func touch(_ url: URL) -> URL {
        FileManager.default.createFile(atPath: url.path, contents: nil)
        return url
    }
}

public struct SlapdError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The sample directory: nested OUs (one with an escaped comma, one with UTF-8) and `count` people.
public func sampleDirectory(people count: Int) -> String {
    var ldif = """
        dn: ou=People,dc=example,dc=com
        objectClass: organizationalUnit
        ou: People

        dn: ou=Sales\\2C EMEA,ou=People,dc=example,dc=com
        objectClass: organizationalUnit
        ou: Sales, EMEA

        dn: ou=Forschung Zürich,ou=People,dc=example,dc=com
        objectClass: organizationalUnit
        ou: Forschung Zürich


        """
    let units = ["ou=People", "ou=Sales\\2C EMEA,ou=People", "ou=Forschung Zürich,ou=People"]
    for index in 0..<count {
        ldif += """
            dn: uid=user\(index),\(units[index % 3]),dc=example,dc=com
            objectClass: inetOrgPerson
            uid: user\(index)
            cn: User \(index)
            sn: \(index)
            mail: user\(index)@example.com


            """
    }
    return ldif
}

/// A small organisation: nested OUs (one with an escaped comma, one in UTF-8), group objects with
/// a nested group, an administrators group, a disabled person and an entry without a uid.
public let sampleOrganisation = """
    dn: ou=Acme,dc=example,dc=com
    objectClass: organizationalUnit
    ou: Acme

    dn: ou=Sales\\2C EMEA,ou=Acme,dc=example,dc=com
    objectClass: organizationalUnit
    ou: Sales, EMEA

    dn: ou=Forschung Zürich,ou=Acme,dc=example,dc=com
    objectClass: organizationalUnit
    ou: Forschung Zürich

    dn: ou=Labs,ou=Forschung Zürich,ou=Acme,dc=example,dc=com
    objectClass: organizationalUnit
    ou: Labs

    dn: uid=alice,ou=Sales\\2C EMEA,ou=Acme,dc=example,dc=com
    objectClass: inetOrgPerson
    uid: alice
    cn: Alice Smith
    sn: Smith
    mail: alice@example.com
    mobile: +44 7700 900001

    dn: uid=bob,ou=Labs,ou=Forschung Zürich,ou=Acme,dc=example,dc=com
    objectClass: inetOrgPerson
    uid: bob
    cn: Bob Müller
    sn: Müller
    mail: bob@example.com
    employeeType: disabled

    dn: uid=carol,ou=Acme,dc=example,dc=com
    objectClass: inetOrgPerson
    uid: carol
    cn: Carol
    sn: C

    dn: cn=nouid,ou=Acme,dc=example,dc=com
    objectClass: inetOrgPerson
    cn: nouid
    sn: N

    dn: ou=Groups,dc=example,dc=com
    objectClass: organizationalUnit
    ou: Groups

    dn: cn=admins,ou=Groups,dc=example,dc=com
    objectClass: groupOfNames
    cn: admins
    member: uid=alice,ou=Sales\\2C EMEA,ou=Acme,dc=example,dc=com

    dn: cn=engineering,ou=Groups,dc=example,dc=com
    objectClass: groupOfNames
    cn: engineering
    member: cn=labs-team,ou=Groups,dc=example,dc=com

    dn: cn=labs-team,ou=Groups,dc=example,dc=com
    objectClass: groupOfNames
    cn: labs-team
    member: UID=Bob,OU=Labs,OU=Forschung Zürich,OU=Acme,DC=example,DC=com


    """

