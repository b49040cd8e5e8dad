import ArgumentParser
import Foundation
import Logging

/// How log lines look on stderr.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    /// `warning: message key=value` — under journald (`$JOURNAL_STREAM` set) with an sd-daemon
    /// priority prefix (`<4>`) and no timestamp, since the journal adds its own; otherwise with an
    /// ISO 8601 timestamp.
    case text
    /// One JSON object a line: `{"time":…,"level":…,"message":…,"metadata":{…}}`.
    case json
}

/// A swift-log handler writing one line an event to stderr in the chosen format. Nothing secret is
/// ever passed to a logger: passwords never leave `Secrets`.
struct StderrLogHandler: LogHandler {
    var format: LogFormat
    var underJournald: Bool
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let line: String
        switch format {
        case .json:
            var object: [String: Any] = [
                "time": ISO8601DateFormatter().string(from: Date()), "level": event.level.rawValue,
                "message": "\(event.message)", "source": event.source,
            ]
            if !merged.isEmpty { object["metadata"] = merged.mapValues { "\($0)" } }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        case .text:
            // One event, one line: a newline or escape sequence from the data must not forge another.
            let fields = merged.sorted { $0.key < $1.key }.map { " \($0.key)=\(Output.visible("\($0.value)"))" }.joined()
            let prefix = underJournald ? "<\(Self.priority(event.level))>" : ISO8601DateFormatter().string(from: Date()) + " "
            line = "\(prefix)\(event.level.rawValue): \(Output.visible("\(event.message)"))\(fields)"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// syslog priorities, as sd-daemon(3) prefixes read by journald.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
