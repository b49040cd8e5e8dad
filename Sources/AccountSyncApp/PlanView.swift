import SyncCore

/// A dry run as the CLI's `--json` and the API show it: the run JSON's shape without id and times.
public struct PlanView: Encodable, Sendable {
    public var dryRun = true
    public var status: RunStatus
    public var failure: RunFailure?
    public var counts: RunCounts
    public var items: [RunItem]

    public init(_ plan: SyncPlan) {
        status = plan.status
        failure = plan.failure
        counts = plan.counts
        items = plan.items
    }

    private enum CodingKeys: String, CodingKey { case dryRun, status, failure, counts, items }

    /// Writes `failure: null` when there is none: every key is always there.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(status, forKey: .status)
        try container.encode(failure, forKey: .failure)
        try container.encode(counts, forKey: .counts)
        try container.encode(items, forKey: .items)
    }
}
