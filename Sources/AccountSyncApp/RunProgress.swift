import Foundation

/// Where a run started by this process is: its id, its phase, and how many of its steps (the
/// leavers and the user dataset's rows) are planned and written. Shared between the run (a
/// background thread) and the API that reports it.
public final class RunProgress: @unchecked Sendable {
    public enum Phase: String, Sendable, Codable {
        case starting, pulling, planning, applying, finished
    }

    /// A moment's view of the progress.
    public struct Snapshot: Sendable, Codable, Equatable {
        public var runId: Int64?
        public var phase: Phase
        public var done: Int
        public var total: Int

        public init(runId: Int64?, phase: Phase, done: Int, total: Int) {
            self.runId = runId
            self.phase = phase
            self.done = done
            self.total = total
        }
    }

    private let lock = NSLock()
    private var value = Snapshot(runId: nil, phase: .starting, done: 0, total: 0)

    public init() {}

    public var snapshot: Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func update(runId: Int64? = nil, phase: Phase, done: Int? = nil, total: Int? = nil) {
        lock.lock()
        defer { lock.unlock() }
        if let runId { value.runId = runId }
        value.phase = phase
        if let done { value.done = done }
        if let total { value.total = total }
        if phase == .finished { value.done = value.total }
    }
}
