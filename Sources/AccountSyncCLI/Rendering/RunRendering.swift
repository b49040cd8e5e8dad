import AccountSyncApp
import Foundation
import SyncCore
import SyncStore

/// How runs and plans look to a person: the Update History's list and its detail pages.
enum RunRendering {
    /// The Update History list, one line a run.
    static func historyTable(_ runs: [RunRecord]) -> String {
        let header = [
            "ID", "STARTED", "FINISHED", "STATUS", "TRIGGER",
            "USERS +NEW", "UPDATED", "RESTORED", "DISABLED(CREATE)", "DISABLED(DELETE)", "REMOVED", "FAILED NEW", "FAILED UPDATED", "NOT DELETED",
            "GROUPS +NEW", "UPDATED", "REMOVED", "FAILED NEW", "FAILED UPDATED", "NOT DELETED", "FAILURE",
        ]
        let rows = runs.map { run -> [String] in
            let c = run.counts
            return [
                "\(run.id)", Output.time(run.startedAt), Output.time(run.finishedAt), run.status.rawValue, run.trigger.rawValue,
                "\(c.usersCreated)", "\(c.usersUpdated)", "\(c.usersRestored)", "\(c.usersDisabledOnCreate)", "\(c.usersDisabledOnDelete)",
                "\(c.usersRemoved)", "\(c.usersFailedNew)", "\(c.usersFailedUpdate)", "\(c.usersNotDeleted)",
                "\(c.groupsCreated)", "\(c.groupsUpdated)", "\(c.groupsRemoved)", "\(c.groupsFailedNew)", "\(c.groupsFailedUpdate)",
                "\(c.groupsNotDeleted)", run.failure?.code.rawValue ?? "",
            ]
        }
        return Output.table(header, rows)
    }

    /// How many items of each section `run` and `history show` print without `--all`.
    static let itemsPerSection = 20

    /// A stored run as `run` and `history show` print it: every item with `all` (the record holds
    /// them), else the first items of each section, read as a sample of the run's items (the
    /// record need not hold them).
    static func detail(_ run: RunRecord, all: Bool, app: AccountSync) throws(AppError) -> String {
        guard !all else { return detail(run, itemLimit: nil) }
        return detail(run, itemLimit: itemsPerSection, sample: try app.runItemSample(id: run.id, perGroup: itemsPerSection))
    }

    /// A run's detail page, in the sections of the Admin Center's run page (`RunSection`): with its items
    /// (`run.items`), or, when `sample` is given, with the first items of each section from the
    /// sample and each section's size from the sample's counts.
    static func detail(_ run: RunRecord, itemLimit: Int?, sample: RunItemSample? = nil) -> String {
        var lines = ["Run #\(run.id): \(run.status.rawValue) (\(run.trigger.rawValue))"]
        lines.append("started \(Output.time(run.startedAt)), finished \(Output.time(run.finishedAt))")
        if let approval = run.approval {
            let what = approval.runId.map { "the deletions listed by run #\($0)" } ?? "up to \(approval.allowDeletions ?? 0) deletions (--allow-deletions)"
            lines.append(Output.visible("approved by \(approval.by): \(what)\(approval.reason.map { " — reason: \($0)" } ?? " — no reason given")"))
        }
        lines += body(status: run.status, failure: run.failure, counts: run.counts, items: sample?.items ?? run.items, itemLimit: itemLimit, sampleCounts: sample?.counts)
        return lines.joined(separator: "\n")
    }

    /// What a dry run would do.
    static func plan(_ plan: SyncPlan, itemLimit: Int?) -> String {
        var lines = ["Dry run: the run would end \(plan.status.rawValue). Nothing was changed."]
        lines += body(status: plan.status, failure: plan.failure, counts: plan.counts, items: plan.items, itemLimit: itemLimit)
        return lines.joined(separator: "\n")
    }

    private static func body(
        status: RunStatus, failure: RunFailure?, counts c: RunCounts, items: [RunItem], itemLimit: Int?, sampleCounts: [RunItemGroup: Int]? = nil
    ) -> [String] {
        var lines: [String] = []
        if let failure {
            lines.append("")
            lines.append("Failure: \(failure.code.rawValue)")
            lines.append("  \(Output.visible(failure.message))")
        }
        lines.append("")
        lines.append(Output.table(
            ["", "CREATED", "UPDATED", "RESTORED", "DISABLED(CREATE)", "DISABLED(DELETE)", "REMOVED", "FAILED NEW", "FAILED UPDATED", "NOT DELETED"],
            [
                ["users", "\(c.usersCreated)", "\(c.usersUpdated)", "\(c.usersRestored)", "\(c.usersDisabledOnCreate)", "\(c.usersDisabledOnDelete)", "\(c.usersRemoved)", "\(c.usersFailedNew)", "\(c.usersFailedUpdate)", "\(c.usersNotDeleted)"],
                ["groups", "\(c.groupsCreated)", "\(c.groupsUpdated)", "-", "-", "-", "\(c.groupsRemoved)", "\(c.groupsFailedNew)", "\(c.groupsFailedUpdate)", "\(c.groupsNotDeleted)"],
            ]))
        for section in RunSection.all {
            let matching = items.filter(section.matches)
            // The section's size: its items, or the groups of the sample that belong to it.
            let total = sampleCounts.map { counts in counts.reduce(0) { $0 + (section.matches($1.key) ? $1.value : 0) } } ?? matching.count
            guard total > 0 else { continue }
            lines.append("")
            lines.append("\(section.title) (\(total)):")
            let shown = itemLimit.map { Array(matching.prefix($0)) } ?? matching
            for item in shown {
                lines.append("  \(Output.visible(item.key))\(item.code.map { "  \($0.rawValue)" } ?? "")  \(Output.visible(item.message))")
            }
            if shown.count < total {
                lines.append("  … and \(total - shown.count) more (--all or --json lists every item)")
            }
        }
        return lines
    }
}
