/// Where a run's planner hands its changes while it is still planning, so that a run of a million
/// changes never holds them all at once: the store writes each part inside the run's one
/// transaction as it comes, and throws the whole transaction away if the finished plan fails.
///
/// The parts come in the order they must be written: the groups' creations and updates, then the
/// users removed or disabled on deletion, then the rows' changes in dataset order, a few thousand
/// at a time, and last the groups' removals. Items come in the order the run lists them.
public protocol PlanSink: AnyObject {
    /// Called once, before the first part: how many steps the user side takes (each deletion and
    /// each row: for progress, see `PlanPart.stepsDone`), and how many rows match no user (each
    /// may be a creation).
    func begin(steps: Int, unmatchedRows: Int) throws
    /// The next part of the plan.
    func write(_ part: PlanPart) throws
}

/// A part of a plan handed to a `PlanSink`.
public struct PlanPart: Sendable {
    public var groupChanges: [GroupChange]
    public var userChanges: [UserChange]
    public var items: [RunItem]
    /// The deletions and rows planned once this part is written, of `begin`'s steps; nil when the
    /// part does not move the count.
    public var stepsDone: Int?

    public init(groupChanges: [GroupChange] = [], userChanges: [UserChange] = [], items: [RunItem] = [], stepsDone: Int? = nil) {
        self.groupChanges = groupChanges
        self.userChanges = userChanges
        self.items = items
        self.stepsDone = stepsDone
    }
}
