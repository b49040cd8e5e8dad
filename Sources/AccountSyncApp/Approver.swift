import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Who approves a run from this process: the login name behind `sudo` (`$SUDO_USER`), else the
/// user the process runs as. Recorded on the run, so the history says who let deletions through.
public enum Approver {
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let sudoUser = environment["SUDO_USER"], !sudoUser.isEmpty { return sudoUser }
        let uid = geteuid()
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(uid)"
    }
}
