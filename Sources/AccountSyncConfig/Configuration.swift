import DirectoryConnector
import SyncCore

/// The whole `config.yaml`: where the store is, when and what to sync, and the policy of a run.
public struct Configuration: Sendable {
    /// The file it was read from, for messages.
    public var file: String
    /// The SQLite store; relative paths are relative to the config file's folder.
    public var storePath: String
    public var update: UpdateSchedule
    /// The stored dataset the user sync reads (`sync.users.dataset`); nil: users are not synced.
    public var usersDataset: String?
    /// The stored dataset the group sync reads (`sync.groups.dataset`); nil: groups are not synced.
    public var groupsDataset: String?
    public var policy: SyncPolicy
    /// The directory to pull from before each run (`source:`); nil: runs read stored datasets.
    public var source: DirectorySettings?
    /// Where to write the Prometheus node_exporter textfile after each run (`metrics.textfile`).
    public var metricsTextfile: String?
    /// How `account-sync serve` listens (`server:`).
    public var server = ServerSettings()
    /// On a connector agent's host: the core to push to (`core:`); nil: this host is the core.
    public var core: CoreSettings?
    /// True when the file's `sync:` section pins the sync settings; false when they live in the
    /// store (edited with `settings` or in the console, and versioned there).
    public var syncPinned = true
    /// The store's settings version these sync settings come from (nil: from the file).
    public var settingsVersion: Int64?

    /// The sync settings of this config, as one value.
    public var syncSettings: SyncSettings {
        SyncSettings(update: update, usersDataset: usersDataset, groupsDataset: groupsDataset, policy: policy)
    }

    /// This config with the store's settings version applied (what a run uses when the file
    /// does not pin them).
    public func applying(_ settings: SyncSettings, version: Int64) -> Configuration {
        var config = self
        config.update = settings.update
        config.usersDataset = settings.usersDataset
        config.groupsDataset = settings.groupsDataset
        config.policy = settings.policy
        config.settingsVersion = version
        return config
    }

    public init(
        file: String, storePath: String, update: UpdateSchedule = .manual, usersDataset: String? = nil,
        groupsDataset: String? = nil, policy: SyncPolicy = SyncPolicy(), source: DirectorySettings? = nil
    ) {
        self.source = source
        self.file = file
        self.storePath = storePath
        self.update = update
        self.usersDataset = usersDataset
        self.groupsDataset = groupsDataset
        self.policy = policy
    }

    /// The default location of the config file when neither `--config` nor `$ACCOUNT_SYNC_CONFIG` names one.
    public static let defaultPath = "/etc/account-sync/config.yaml"
    /// The store's path when `store.path` is not given (systemd's `StateDirectory=account-sync`).
    public static let defaultStorePath = "/var/lib/account-sync/account-sync.sqlite"
}

/// The sync settings (the product doc's Edit page): when to run, which datasets, and the policy.
public struct SyncSettings: Sendable, Equatable {
    public var update: UpdateSchedule
    public var usersDataset: String?
    public var groupsDataset: String?
    public var policy: SyncPolicy

    public init(update: UpdateSchedule, usersDataset: String?, groupsDataset: String?, policy: SyncPolicy) {
        self.update = update
        self.usersDataset = usersDataset
        self.groupsDataset = groupsDataset
        self.policy = policy
    }
}

/// When runs happen: only on request, or daily at a time of day.
public enum UpdateSchedule: Sendable, Equatable {
    case manual
    case daily(hour: Int, minute: Int)

    public var description: String {
        switch self {
        case .manual: "manual"
        case .daily(let hour, let minute): "daily at " + twoDigits(hour) + ":" + twoDigits(minute)
        }
    }
}

private func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

/// One problem of a config file: the key path, the line, and what is wrong.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String

    public init(path: String, line: Int?, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        (line.map { "line \($0): " } ?? "") + (path.isEmpty ? "" : "\(path): ") + message
    }
}

/// A config file that cannot be used, with every problem found in it (not just the first).
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [ConfigProblem]

    public init(file: String, problems: [ConfigProblem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        let header = problems.count == 1 ? "\(file): 1 problem" : "\(file): \(problems.count) problems"
        return ([header] + problems.map { "  \($0)" }).joined(separator: "\n")
    }
}

/// The `server:` section: where `account-sync serve` listens, with what TLS, and the public URL
/// behind a reverse proxy.
public struct ServerSettings: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var certificateFile: String?
    public var keyFile: String?
    /// The URL people reach the console at (links, and whether cookies are `Secure`).
    public var publicURL: String?
    /// Plain HTTP on an address other than loopback (behind a TLS-terminating proxy).
    public var allowPlainHTTP = false

    public init() {}

    public var usesTLS: Bool { certificateFile != nil }

    /// True for 127.0.0.0/8, ::1 and localhost.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Cookies are `Secure` when the server or the public URL is https.
    public var secureCookies: Bool {
        usesTLS || (publicURL?.lowercased().hasPrefix("https://") ?? false)
    }
}

/// The `core:` section of a connector agent's config: where the core is, the push token, the CA
/// that signed the core's certificate, and this agent's name.
public struct CoreSettings: Sendable, Equatable {
    public var url: String
    public var token: SecretSource
    public var caFile: String?
    /// Off only by an explicit `tls.requireCert: false` (a lab).
    public var verifyCertificate = true
    public var agent: String

    public init(url: String, token: SecretSource, caFile: String? = nil, agent: String) {
        self.url = url
        self.token = token
        self.caFile = caFile
        self.agent = agent
    }
}
