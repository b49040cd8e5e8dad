// The pull benchmark: USERS people in OUS nested OUs in a local slapd, pulled over loopback by
// `account-sync pull --output DIR` and, side by side, by `ldapsearch -E pr=1000` fetching the same
// entries and attributes. Each runs as its own process; wall time and peak RSS come from wait4.
import Foundation
import SlapdFixture

func runPullBenchmark(userCount: Int, unitCount: Int) throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("account-sync-pullbench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }

    // 1,000 OUs: 10 top-level, 10 below each, 9 below each of those (10 + 100 + 900 = 1,010, trimmed).
    var units: [String] = []
    for a in 0..<10 {
        units.append("ou=Division \(a),ou=Corp,dc=example,dc=com")
        for b in 0..<10 {
            units.append("ou=Department \(a)-\(b),ou=Division \(a),ou=Corp,dc=example,dc=com")
            for c in 0..<9 { units.append("ou=Team \(a)-\(b)-\(c),ou=Department \(a)-\(b),ou=Division \(a),ou=Corp,dc=example,dc=com") }
        }
    }
    units = Array(units.prefix(unitCount))
    let ldifPath = work.appendingPathComponent("directory.ldif").path
    FileManager.default.createFile(atPath: ldifPath, contents: nil)
    let ldif = try FileHandle(forWritingTo: URL(fileURLWithPath: ldifPath))
    var chunk = "dn: ou=Corp,dc=example,dc=com\nobjectClass: organizationalUnit\nou: Corp\n\n"
    for unit in units {
        let name = unit.split(separator: ",")[0].dropFirst(3)
        chunk += "dn: \(unit)\nobjectClass: organizationalUnit\nou: \(name)\n\n"
    }
    for index in 0..<userCount {
        chunk += "dn: uid=user\(index),\(units[index % units.count])\nobjectClass: inetOrgPerson\nuid: user\(index)\ncn: User Number \(index)\nsn: Number\nmail: user\(index)@example.com\nmobile: +86 138\(String(format: "%08d", index))\n\n"
        if chunk.utf8.count > 1 << 20 {
            ldif.write(Data(chunk.utf8))
            chunk = ""
        }
    }
    ldif.write(Data(chunk.utf8))
    try ldif.close()

    let loadStart = Date()
    let slapd = try Slapd(ldifFile: ldifPath)
    print("account-sync pull benchmark: \(userCount) users in \(units.count) nested OUs, slapd at \(slapd.uri) (loaded in \(String(format: "%.1f", Date().timeIntervalSince(loadStart))) s)")

    let passwordFile = try writePassword(slapd, in: work)
    let config = work.appendingPathComponent("config.yaml").path
    try """
        store: { path: store.sqlite }
        \(sourceSection(slapd, passwordFile: passwordFile, base: "ou=Corp,dc=example,dc=com", groups: "{ from: ou-tree }"))
        sync:
          users: { dataset: people }
          groups: { dataset: org }
        """.write(toFile: config, atomically: true, encoding: .utf8)

    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("account-sync").path
    let attributes = ["uid", "cn", "mail", "mobile", "entryUUID", "memberOf"]
    for round in 1...3 {
        let ldapsearch = try Measurement("/usr/bin/ldapsearch", ["-x", "-LLL", "-H", slapd.uri, "-D", slapd.adminDN, "-y", passwordFile, "-E", "pr=1000/noprompt",
                                                            "-b", "ou=Corp,dc=example,dc=com", "(objectClass=inetOrgPerson)"] + attributes, log: work.appendingPathComponent("ldapsearch.out").path)
        let pull = try Measurement(binary, ["pull", "--config", config, "--output", work.appendingPathComponent("out").path], log: work.appendingPathComponent("pull.out").path)
        print(String(format: "round %d: ldapsearch %.2f s (cpu %.2f s), %.0f MiB | account-sync pull %.2f s (cpu %.2f s), %.0f MiB (users + OU tree, mapped, written as JSON Lines) | ratio %.2f×",
                     round, ldapsearch.seconds, ldapsearch.cpu, ldapsearch.peakMiB, pull.seconds, pull.cpu, pull.peakMiB, pull.seconds / ldapsearch.seconds))
        if pull.status != 0 { print("account-sync pull exited \(pull.status); see \(work.path)/pull.out") }
    }
}

/// The bind password of the bench's slapd, in a file of mode 0600 for `passwordFile:`.
func writePassword(_ slapd: Slapd, in work: URL) throws -> String {
    let path = work.appendingPathComponent("bind.pw").path
    FileManager.default.createFile(atPath: path, contents: Data(slapd.adminPassword.utf8), attributes: [.posixPermissions: 0o600])
    return path
}

/// The `source:` section of a config pulling people under `base` from the bench's slapd.
func sourceSection(_ slapd: Slapd, passwordFile: String, base: String, groups: String) -> String {
    """
    source:
      kind: ldap
      profile: openldap
      uri: "\(slapd.uri)"
      allowInsecureBind: true
      bind: { dn: "\(slapd.adminDN)", passwordFile: \(passwordFile) }
      pageSize: 1000
      users: { base: "\(base)", disabledFilter: "" }
      groups: \(groups)
    """
}
