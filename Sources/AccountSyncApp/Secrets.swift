import DirectoryConnector
import Foundation

/// Reads the bind password from where the config says: a file, an environment variable or a
/// systemd credential (`$CREDENTIALS_DIRECTORY/NAME`). One trailing newline is dropped. The
/// password is never logged or put in an error message.
public enum Secrets {
    static func read(_ source: SecretSource, keys: SecretKeyNames = .bindPassword, environment: [String: String] = ProcessInfo.processInfo.environment) throws(AppError) -> String {
        if let problem = SecretSourceCheck.problem(source, keys: keys) { throw AppError(.configInvalid, problem) }
        switch source {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw AppError(.configInvalid, "\(keys.environment) names $\(name), which is not set (or empty) in this process's environment")
            }
            return value
        case .file(let path):
            return try contents(of: path, what: keys.file)
        case .credential(let name):
            guard let folder = environment["CREDENTIALS_DIRECTORY"] else {
                throw AppError(.configInvalid, "\(keys.credential) '\(name)' needs systemd's $CREDENTIALS_DIRECTORY (LoadCredential=\(name):/path in the unit); it is not set")
            }
            return try contents(of: folder + "/" + name, what: keys.credential)
        }
    }

    /// The push token of a connector agent's `core:` section.
    public static func coreToken(_ source: SecretSource) throws(AppError) -> String {
        try read(source, keys: .coreToken)
    }

    /// A warning when a password file can be read by others than its owner, else nil.
    static func exposure(of source: SecretSource) -> String? {
        guard case .file(let path) = source,
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0
        else { return nil }
        return "the bind password file \(path) can be read by \(mode & 0o007 != 0 ? "every user on this machine" : "its group") (mode \(String(mode, radix: 8))); run: chmod 600 \(path)"
    }

    private static func contents(of path: String, what: String) throws(AppError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw AppError(.configInvalid, "\(what) \(path) \(exists ? "cannot be read by this user" : "does not exist")")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
        guard !text.isEmpty else { throw AppError(.configInvalid, "\(what) \(path) is empty") }
        return text
    }
}
