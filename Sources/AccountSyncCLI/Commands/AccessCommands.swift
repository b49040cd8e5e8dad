import AccountSyncApp
import ArgumentParser
import Foundation

/// Reads a password the way an admin gives it, never from argv: `--password-file FILE`, else
/// standard input when it is not a terminal (a pipe), else a prompt that does not echo.
enum PasswordInput {
    static func read(file: String?, prompt: String) throws -> String {
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("--password-file \(file) cannot be read")
                throw ExitCode(ExitStatus.usage.rawValue)
            }
            return trimmed(String(decoding: data, as: UTF8.self))
        }
        if isatty(STDIN_FILENO) == 0 {
            return trimmed(String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self))
        }
        guard let first = getpass(prompt).map({ String(cString: $0) }), let second = getpass("Again: ").map({ String(cString: $0) }) else {
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        guard first == second else {
            printError("the two passwords differ; nothing was changed")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        return first
    }

    /// One trailing newline dropped, as with password files.
    private static func trimmed(_ text: String) -> String {
        if text.hasSuffix("\r\n") { return String(text.dropLast(2)) }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}

/// `account-sync admins …`: the console's administrators (bcrypt hashes in the store; optional TOTP).
struct AdminsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admins", abstract: "Manage the administrators of the Admin Center.",
        discussion: """
            Passwords are read from --password-file FILE, else from standard input when it is not a
            terminal, else from a prompt; never from the command line. They are stored as bcrypt
            hashes; at least \(AccountSync.minimumPasswordLength) characters.

            Examples:
              account-sync admins add alice                      # prompts twice
              account-sync admins add bob --password-file /root/bob.pw
              account-sync admins totp alice                     # prints the otpauth:// URI once
            """,
        subcommands: [Add.self, List.self, Remove.self, Passwd.self, TOTP.self], defaultSubcommand: List.self)

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an administrator.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The login name.") var name: String
        @Option(help: ArgumentHelp("Read the password from this file.", valueName: "FILE")) var passwordFile: String?

        func run() throws {
            let app = try options.app()
            let password = try PasswordInput.read(file: passwordFile, prompt: "Password for \(name): ")
            try report { () throws(AppError) in try app.addAdmin(name: name, password: password) }
            print("added admin '\(name)'")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the administrators.")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let app = try options.app()
            let admins = try report { () throws(AppError) in try app.admins() }
            if admins.isEmpty { return print("no admins yet (add one: account-sync admins add NAME)") }
            print(Output.table(["NAME", "TOTP", "CREATED"], admins.map { [$0.name, $0.totpSecret == nil ? "off" : "on", Output.time($0.createdAt)] }))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an administrator (their sessions end).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The login name.") var name: String

        func run() throws {
            let app = try options.app()
            try report { () throws(AppError) in try app.removeAdmin(name: name) }
            print("removed admin '\(name)'")
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set an administrator's password (their sessions end).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The login name.") var name: String
        @Option(help: ArgumentHelp("Read the password from this file.", valueName: "FILE")) var passwordFile: String?

        func run() throws {
            let app = try options.app()
            let password = try PasswordInput.read(file: passwordFile, prompt: "New password for \(name): ")
            try report { () throws(AppError) in try app.setAdminPassword(name: name, password: password) }
            print("password of '\(name)' changed")
        }
    }

    struct TOTP: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "totp", abstract: "Turn on a TOTP second factor; prints the otpauth:// URI for an authenticator app, once.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The login name.") var name: String

        func run() throws {
            let app = try options.app()
            let uri = try report { () throws(AppError) in try app.enableTOTP(name: name) }
            print(uri)
        }
    }
}

extension TokenScope: ExpressibleByArgument {}

/// `account-sync tokens …`: API tokens for machines (agents, monitoring, scripts).
struct TokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Manage API tokens (sent as 'Authorization: Bearer TOKEN').",
        discussion: """
            Scopes: push (upload datasets and start runs: a connector agent), read (read only:
            monitoring), admin (what an admin can). The store keeps only a SHA-256 of each token.

            Example: account-sync tokens create hq-dc1 --scope push > /root/push.token
            """,
        subcommands: [Create.self, List.self, Revoke.self], defaultSubcommand: List.self)

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token; it is printed once, alone on the last line.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "A name for the token (shown in the history as token:NAME).") var name: String
        @Option(help: "push, read or admin.") var scope: TokenScope
        @Option(help: ArgumentHelp("Expire after N days.", valueName: "N")) var expiresDays: Int?

        func validate() throws {
            if let expiresDays, expiresDays < 1 || expiresDays > 3_650 { throw ValidationError("--expires-days must be from 1 to 3650") }
        }

        func run() throws {
            let app = try options.app()
            let token = try report { () throws(AppError) in
                try app.createToken(name: name, scope: scope, createdBy: "cli:\(Approver.current())", expiresInDays: expiresDays)
            }
            printError("note: this is the only time the token is shown; store it now")
            print(token)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens (never their values).")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let app = try options.app()
            let tokens = try report { () throws(AppError) in try app.tokens() }
            if tokens.isEmpty { return print("no tokens") }
            print(Output.table(
                ["NAME", "SCOPE", "STATE", "CREATED", "BY", "EXPIRES", "LAST USED"],
                tokens.map {
                    [$0.name, $0.scope, $0.revokedAt != nil ? "revoked" : ($0.expiresAt.map { $0 < Date() } ?? false) ? "expired" : "active",
                        Output.time($0.createdAt), $0.createdBy, Output.time($0.expiresAt), Output.time($0.lastUsedAt)]
                }))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: it is refused from now on.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The token's name.") var name: String

        func run() throws {
            let app = try options.app()
            try report { () throws(AppError) in try app.revokeToken(name: name) }
            print("revoked token '\(name)'")
        }
    }
}
