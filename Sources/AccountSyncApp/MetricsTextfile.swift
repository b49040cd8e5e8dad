import Foundation
import SyncCore

/// The node_exporter textfile written after every run, so Prometheus can alert on a failed,
/// stale or safeguard-stopped sync. Written atomically (temp file + rename): node_exporter never
/// reads half a file.
public enum MetricsTextfile {
    /// The file's text for a finished run.
    public static func render(_ run: RunRecord) -> String {
        let status: Int = switch run.status {
        case .success: 0
        case .partiallyFailed: 1
        case .failed, .running: 2
        }
        let finished = run.finishedAt ?? run.startedAt
        let duration = finished.timeIntervalSince(run.startedAt)
        let c = run.counts
        var lines = [
            "# HELP account_sync_last_run_status Status of the last run: 0 success, 1 partially failed, 2 failed.",
            "# TYPE account_sync_last_run_status gauge",
            "account_sync_last_run_status \(status)",
            "# HELP account_sync_last_run_info The last run's id, status, trigger and failure code.",
            "# TYPE account_sync_last_run_info gauge",
            "account_sync_last_run_info{id=\"\(run.id)\",status=\"\(run.status.rawValue)\",trigger=\"\(run.trigger.rawValue)\",failure=\"\(run.failure?.code.rawValue ?? "")\"} 1",
            "# HELP account_sync_last_run_duration_seconds How long the last run took.",
            "# TYPE account_sync_last_run_duration_seconds gauge",
            "account_sync_last_run_duration_seconds \(String(format: "%.3f", duration))",
            "# HELP account_sync_last_run_timestamp_seconds When the last run finished (Unix time).",
            "# TYPE account_sync_last_run_timestamp_seconds gauge",
            "account_sync_last_run_timestamp_seconds \(String(format: "%.3f", finished.timeIntervalSince1970))",
            "# HELP account_sync_last_run_safeguard_tripped 1 when the deletion safeguard stopped the last run.",
            "# TYPE account_sync_last_run_safeguard_tripped gauge",
            "account_sync_last_run_safeguard_tripped \(run.failure?.code == .safeguardTripped ? 1 : 0)",
            "# HELP account_sync_last_run_items Users and groups the last run changed or failed, by kind and action.",
            "# TYPE account_sync_last_run_items gauge",
        ]
        let counts: [(String, String, Int)] = [
            ("user", "created", c.usersCreated), ("user", "updated", c.usersUpdated), ("user", "restored", c.usersRestored),
            ("user", "disabled_on_create", c.usersDisabledOnCreate), ("user", "disabled_on_delete", c.usersDisabledOnDelete),
            ("user", "removed", c.usersRemoved), ("user", "failed_new", c.usersFailedNew), ("user", "failed_update", c.usersFailedUpdate),
            ("user", "not_deleted", c.usersNotDeleted), ("group", "created", c.groupsCreated), ("group", "updated", c.groupsUpdated),
            ("group", "removed", c.groupsRemoved), ("group", "failed_new", c.groupsFailedNew), ("group", "failed_update", c.groupsFailedUpdate),
            ("group", "not_deleted", c.groupsNotDeleted),
        ]
        for (kind, action, value) in counts {
            lines.append("account_sync_last_run_items{kind=\"\(kind)\",action=\"\(action)\"} \(value)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the file atomically next to its final place.
    public static func write(_ run: RunRecord, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        // 0644 whatever the umask (the unit's is 0077): node_exporter runs as another user, and the
        // file holds no personal data.
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(render(run).utf8), attributes: [.posixPermissions: 0o644]),
            chmod(temporary.path, 0o644) == 0
        else {
            throw AppError(.storeUnavailable, "cannot write the metrics file \(temporary.path): \(String(cString: strerror(errno)))")
        }
        if rename(temporary.path, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw AppError(.storeUnavailable, "cannot write the metrics file \(path): \(reason)")
        }
    }
}
