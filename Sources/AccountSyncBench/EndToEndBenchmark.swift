// The end-to-end benchmark (issue 13's proof): a slapd started here with USERS people in OUS
// nested OUs and one group of BIG members; then, each as its own process with wall time, CPU time
// and peak RSS from wait4, side by side with ldapsearch (the floor):
//   pull --output, run with `source:` into an empty store, the same run again (no change), a run
//   after 1% of the people changed, and from a CSV dataset: datasets import, a run into an empty
//   store, the same run again, beside sqlite3 .import of the same CSV (the floor from a file);
//   then a run killed with SIGKILL halfway through its apply (the store must be unchanged) and
//   the run after it (it must recover).
// With E2E_HOLD set it only starts slapd and writes the configs, and waits (for profiling by hand).
import Foundation
import SlapdFixture

func runEndToEndBenchmark(userCount: Int, unitCount: Int, bigGroup: Int) throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("account-sync-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let base = "ou=Corp,dc=example,dc=com"

    // OUS units, nested three deep: 10 divisions, 10 departments each, the rest as teams below.
    var units = (0..<10).map { "ou=Division \($0),\(base)" }
    for a in 0..<10 { for b in 0..<10 { units.append("ou=Department \(a)-\(b),ou=Division \(a),\(base)") } }
    var team = 0
    while units.count < unitCount {
        let (a, b) = ((team / 10) % 10, team % 10)
        units.append("ou=Team \(team),ou=Department \(a)-\(b),ou=Division \(a),\(base)")
        team += 1
    }
    units = Array(units.prefix(max(unitCount, 1)))
    let leaves = Array(units.suffix(max(1, units.count - 110)))
    func dn(_ index: Int) -> String { "uid=user\(index),\(leaves[index % leaves.count])" }

    let ldifPath = work.appendingPathComponent("directory.ldif").path
    FileManager.default.createFile(atPath: ldifPath, contents: nil)
    let ldif = try FileHandle(forWritingTo: URL(fileURLWithPath: ldifPath))
    var chunk = "dn: \(base)\nobjectClass: organizationalUnit\nou: Corp\n\n"
    func flush(_ force: Bool = false) {
        if force || chunk.utf8.count > 1 << 20 {
            ldif.write(Data(chunk.utf8))
            chunk = ""
        }
    }
    for unit in units {
        chunk += "dn: \(unit)\nobjectClass: organizationalUnit\nou: \(unit.split(separator: ",")[0].dropFirst(3))\n\n"
        flush()
    }
    for index in 0..<userCount {
        chunk += "dn: \(dn(index))\nobjectClass: inetOrgPerson\nuid: user\(index)\ncn: User Number \(index)\nsn: Number\nmail: user\(index)@example.com\nmobile: +86 138\(String(format: "%08d", index))\n\n"
        flush()
    }
    chunk += "dn: ou=Groups,\(base)\nobjectClass: organizationalUnit\nou: Groups\n\n"
    chunk += "dn: cn=All Staff,ou=Groups,\(base)\nobjectClass: groupOfNames\ncn: All Staff\n"
    for index in 0..<min(bigGroup, userCount) {
        chunk += "member: \(dn(index))\n"
        flush()
    }
    chunk += "\n"
    flush(true)
    try ldif.close()

    let loadStart = Date()
    let slapd = try Slapd(ldifFile: ldifPath, maxSize: 8 << 30)
    print("account-sync end-to-end benchmark: \(userCount) users in \(units.count) nested OUs, a group of \(min(bigGroup, userCount)) members; slapd at \(slapd.uri) (slapadd \(String(format: "%.0f", Date().timeIntervalSince(loadStart))) s)")

    let passwordFile = try writePassword(slapd, in: work)
    let safeguard = "safeguard: { maxUserDeletions: \(userCount), maxGroupDeletions: \(units.count + 10), maxUserDeletionPercent: 100, maxGroupDeletionPercent: 100 }"
    let directoryConfig = work.appendingPathComponent("directory.yaml").path
    try """
        store: { path: directory.sqlite }
        \(sourceSection(slapd, passwordFile: passwordFile, base: base, groups: "{ from: both, base: \"\(base)\" }"))
        sync:
          users: { dataset: people }
          groups: { dataset: org }
          \(safeguard)
        """.write(toFile: directoryConfig, atomically: true, encoding: .utf8)
    let datasetConfig = work.appendingPathComponent("dataset.yaml").path
    try """
        store: { path: dataset.sqlite }
        sync:
          users: { dataset: people }
          \(safeguard)
        """.write(toFile: datasetConfig, atomically: true, encoding: .utf8)

    if ProcessInfo.processInfo.environment["E2E_HOLD"] != nil {
        // For profiling by hand: keep slapd and the configs until the file `release` appears.
        let release = work.appendingPathComponent("release").path
        print("  holding: configs in \(work.path); touch \(release) to stop")
        while !FileManager.default.fileExists(atPath: release) { sleep(1) }
        return
    }

    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("account-sync").path
    let log = work.appendingPathComponent("account-sync.log").path
    var rows: [(String, Measurement?, Measurement)] = []
    func ours(_ label: String, _ arguments: [String], floor: Measurement? = nil, environment: [String: String] = [:]) throws -> Measurement {
        for (key, value) in environment { setenv(key, value, 1) }
        defer { for key in environment.keys { unsetenv(key) } }
        let result = try Measurement(binary, arguments + ["--log-level", "warning"], log: log, alongside: slapd.pid)
        rows.append((label, floor, result))
        print(result.summary(label, log: log))
        return result
    }

    let attributes = ["uid", "cn", "mail", "mobile", "entryUUID"]
    let ldapsearchLog = work.appendingPathComponent("ldapsearch.out").path
    let floor = try Measurement("/usr/bin/ldapsearch", ["-x", "-LLL", "-H", slapd.uri, "-D", slapd.adminDN, "-y", passwordFile, "-E", "pr=1000/noprompt",
                                                       "-b", base, "(objectClass=inetOrgPerson)"] + attributes, log: ldapsearchLog, alongside: slapd.pid)
    print(floor.summary("ldapsearch -E pr=1000 (the floor)", log: ldapsearchLog))
    _ = try ours("pull --output", ["pull", "--config", directoryConfig, "--output", work.appendingPathComponent("out").path], floor: floor)
    _ = try ours("run with source:, empty store", ["run", "--config", directoryConfig], floor: floor)
    _ = try ours("the same run again, no change", ["run", "--config", directoryConfig], floor: floor)

    // 1% of the people change their name and mobile.
    let changes = work.appendingPathComponent("changes.ldif").path
    var modify = ""
    for index in stride(from: 0, to: userCount, by: 100) {
        modify += "dn: \(dn(index))\nchangetype: modify\nreplace: cn\ncn: Renamed \(index)\n-\nreplace: mobile\nmobile: +86 139\(String(format: "%08d", index))\n\n"
    }
    try modify.write(toFile: changes, atomically: true, encoding: .utf8)
    let modified = try Measurement("/usr/bin/ldapmodify", ["-x", "-H", slapd.uri, "-D", slapd.adminDN, "-y", passwordFile, "-f", changes], log: work.appendingPathComponent("ldapmodify.out").path)
    print(String(format: "  (ldapmodify of %d people: %.1f s)", userCount / 100, modified.seconds))
    _ = try ours("run after 1% changed", ["run", "--config", directoryConfig], floor: floor)

    // From a dataset file: the same people as CSV.
    let csv = work.appendingPathComponent("people.csv").path
    FileManager.default.createFile(atPath: csv, contents: nil)
    let csvHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: csv))
    var text = "account,name,email,mobile,accountType,externalId\n"
    for index in 0..<userCount {
        text += "user\(index),User Number \(index),user\(index)@example.com,+86 138\(String(format: "%08d", index)),\(index % 50 == 0 ? "Administrator" : "Regular User"),guid-\(index)\n"
        if text.utf8.count > 1 << 20 {
            csvHandle.write(Data(text.utf8))
            text = ""
        }
    }
    csvHandle.write(Data(text.utf8))
    try csvHandle.close()
    // The floor of the steps from a file: SQLite's own shell loading the same CSV into a new
    // table, with no checks. It tells how fast this machine is today, as ldapsearch does above.
    let sqliteLog = work.appendingPathComponent("sqlite3.out").path
    let plainImport = try Measurement("/usr/bin/sqlite3", [work.appendingPathComponent("plain.sqlite").path, ".import --csv \(csv) people"], log: sqliteLog)
    try? FileManager.default.removeItem(at: work.appendingPathComponent("plain.sqlite"))
    print(plainImport.summary("sqlite3 .import of the CSV (the floor from a file)", log: sqliteLog))
    _ = try ours("datasets import (CSV)", ["datasets", "import", "--config", datasetConfig, "--kind", "users", "people", csv], floor: plainImport)
    _ = try ours("run from the dataset, empty store", ["run", "--config", datasetConfig], floor: plainImport)
    _ = try ours("the same run again, no change", ["run", "--config", datasetConfig])

    // A run killed with SIGKILL halfway through its apply leaves the store as it was.
    let storePath = work.appendingPathComponent("dataset.sqlite").path
    let before = try Measurement.sqlite(storePath, "SELECT COUNT(*), COALESCE(SUM(LENGTH(name)), 0) FROM users")
    var renamed = "account,name,email,mobile,accountType,externalId\n"
    for index in 0..<userCount { renamed += "user\(index),Renamed \(index),user\(index)@example.com,+86 138\(String(format: "%08d", index)),Regular User,guid-\(index)\n" }
    try renamed.write(toFile: csv, atomically: true, encoding: .utf8)
    _ = try ours("datasets import (every name changed)", ["datasets", "import", "--config", datasetConfig, "--kind", "users", "people", csv])
    let marker = work.appendingPathComponent("paused").path
    setenv("ACCOUNT_SYNC_TEST_PAUSE_MID_APPLY", marker, 1)
    let pid = try Slapd.spawn(binary, ["run", "--config", datasetConfig, "--log-level", "warning"], log: log)
    unsetenv("ACCOUNT_SYNC_TEST_PAUSE_MID_APPLY")
    let pauseStart = Date()
    while !FileManager.default.fileExists(atPath: marker) && Date().timeIntervalSince(pauseStart) < 600 { usleep(100_000) }
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    let after = try Measurement.sqlite(storePath, "SELECT COUNT(*), COALESCE(SUM(LENGTH(name)), 0) FROM users")
    print("  kill -9 halfway through applying \(userCount) updates (after \(String(format: "%.1f", Date().timeIntervalSince(pauseStart))) s): store \(before == after ? "unchanged" : "CHANGED") (\(before) → \(after))")
    let recovery = try ours("the run after the kill", ["run", "--config", datasetConfig])
    let last = try Measurement.sqlite(storePath, "SELECT status || ' ' || COALESCE(failureCode, '') FROM runs ORDER BY id DESC LIMIT 2")
    print("  the last two runs: \(last.replacingOccurrences(of: "\n", with: "; ")) (exit \(recovery.status))")

    for store in ["directory.sqlite", "dataset.sqlite"] {
        let path = work.appendingPathComponent(store).path
        let bytes = ["", "-wal"].compactMap { try? FileManager.default.attributesOfItem(atPath: path + $0)[.size] as? Int }.reduce(0, +)
        print(String(format: "  %@ on disk (with its WAL): %.0f MiB", store, Double(bytes) / 1_048_576))
    }
    print("\n| work | floor (ldapsearch or sqlite3 .import) | account-sync | ratio | CPU: account-sync + slapd |")
    print("|---|---|---|---|---|")
    print(String(format: "| ldapsearch -E pr=1000 of %d users (the floor) | %.1f s, %.0f MiB | | | %.1f + %.1f s |",
                 userCount, floor.seconds, floor.peakMiB, floor.cpu, floor.alongsideCPU ?? 0))
    for (label, floor, result) in rows {
        let ratio = floor.map { String(format: "%.2f×", result.seconds / $0.seconds) } ?? ""
        let floorText = floor.map { String(format: "%.1f s", $0.seconds) } ?? ""
        print(String(format: "| %@ | %@ | %.1f s, %.0f MiB | %@ | %.1f + %.1f s |", label, floorText, result.seconds, result.peakMiB, ratio, result.cpu, result.alongsideCPU ?? 0))
    }
}

/// One program run to its end: wall time, CPU time (user and system) and peak RSS from wait4,
/// and the CPU time a server it talks to (`alongside`, slapd) spent meanwhile: on two cores the
/// two share the machine, so the sum tells how much room a step leaves.
struct Measurement {
    var seconds: Double
    var cpu: Double
    /// Nil when no server was watched.
    var alongsideCPU: Double?
    var peakMiB: Double
    var status: Int32

    /// "label: 1.23 s, 29 MiB, CPU 1.0 s (slapd 0.5 s)", with the exit status and the log when
    /// the program failed (a failed floor must not pass for a fast one).
    func summary(_ label: String, log: String) -> String {
        let server = alongsideCPU.map { String(format: " (slapd %.1f s)", $0) } ?? ""
        return String(format: "  %@: %.2f s, %.0f MiB, CPU %.1f s%@%@", label, seconds, peakMiB, cpu, server, status == 0 ? "" : " (exit \(status); see \(log))")
    }

    /// Runs a program to its end, its output appended to `log`.
    init(_ path: String, _ arguments: [String], log: String, alongside server: pid_t? = nil) throws {
        let serverBefore = server.map(Self.cpuSeconds)
        let start = Date()
        let pid = try Slapd.spawn(path, arguments, log: log)
        var waitStatus: Int32 = 0
        var usage = rusage()
        _ = wait4(pid, &waitStatus, 0, &usage)
        seconds = Date().timeIntervalSince(start)
        cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        peakMiB = Double(usage.ru_maxrss) / 1024
        status = (waitStatus >> 8) & 0xff
        alongsideCPU = server.map(Self.cpuSeconds).map { $0 - (serverBefore ?? 0) }
    }

    /// The user and system CPU time a running process has used, from /proc/PID/stat.
    static func cpuSeconds(of pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return 0 }
        // After the command name in parentheses: state is field 3, utime and stime are 14 and 15.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A query's answer from the sqlite3 command-line shell (Debian's `sqlite3`).
    static func sqlite(_ store: String, _ query: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [store, query]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
