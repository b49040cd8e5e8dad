import AccountSyncApp
import AccountSyncConfig
import ArgumentParser
import Foundation
import Logging

/// Options every command takes: which config file, and how much to log.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The config file (default: $ACCOUNT_SYNC_CONFIG, else \(Configuration.defaultPath)).", valueName: "FILE"))
    var config: String?

    @Option(name: .long, help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .notice

    @Option(name: .long, help: "Log format on stderr: text (journald-friendly under systemd) or json.")
    var logFormat: LogFormat = .text

    /// The application, with its config loaded and logging set up; exits with the config's error code.
    func app() throws -> AccountSync {
        Logging.bootstrapOnce(level: logLevel, format: logFormat)
        let path = self.config
        let loaded = try report { () throws(AppError) in try AccountSync.loadConfig(path: path) }
        return AccountSync(config: loaded, logger: Logger(label: "account-sync"))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

enum Logging {
    nonisolated(unsafe) private static var bootstrapped = false

    /// swift-log to stderr, once per process.
    static func bootstrapOnce(level: Logger.Level, format: LogFormat) {
        guard !bootstrapped else { return }
        bootstrapped = true
        let journald = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
        LoggingSystem.bootstrap { _ in
            StderrLogHandler(format: format, underJournald: journald, logLevel: level)
        }
    }
}

/// Runs `body`; an `AppError` becomes one line on stderr and its documented exit code.
func report<T>(_ body: () throws(AppError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        printError(error.message)
        throw ExitCode(error.status.rawValue)
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("account-sync: error: \(Output.visibleLines(message))\n".utf8))
}

/// Files that hold personal data (names, emails, DNs): written 0600 whatever the umask, through a
/// temporary file and a rename, so a reader never sees half of one.
enum PrivateFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { append in try append(bytes) }
    }

    /// Writes the pieces `produce` hands over one after the other, so that a large file (a
    /// million users as JSON Lines) is never one string in memory; the file appears whole or not.
    static func write(to path: String, _ produce: (@escaping ([UInt8]) throws -> Void) throws -> Void) throws {
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: temporary)
        else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
        }
        do {
            try produce { piece in try handle.write(contentsOf: piece) }
            try handle.close()
        } catch {
            try? handle.close()
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: reason])
        }
    }
}

/// A warning on standard error: something the admin should know that did not stop the command.
func printWarning(_ message: String) {
    FileHandle.standardError.write(Data("account-sync: warning: \(Output.visibleLines(message))\n".utf8))
}

/// Who is making an admin edit, for the audit trail.
func adminActor() -> String {
    let environment = ProcessInfo.processInfo.environment
    let login = environment["SUDO_USER"] ?? environment["USER"] ?? environment["LOGNAME"] ?? "uid \(getuid())"
    return "admin (\(login))"
}
