import Foundation
import Pipelining
import SyncCore

/// Plans a run on a thread of its own while the run's thread writes what has been planned.
///
/// A run's transaction lives on one connection, and GRDB lets a connection be used only on the
/// thread that holds it. So the run's thread keeps the connection and writes, while the planner,
/// on the other core, hands it the plan's parts (as the `PlanSink` it plans into) and asks it for
/// anything else it needs of the store (`onRunThread`: the user side, a settled user's lookup).
/// Every request runs after the parts handed over before it are written, so the planner sees the
/// store exactly as it would planning on the run's thread; it only no longer waits for the
/// writing. At a million creations, planning took a third of a first run's time on the one core.
final class PlanningThread: PlanSink, @unchecked Sendable {
    /// What the planner hands the run's thread: a part to write, or a request to run there.
    private enum Message: @unchecked Sendable {
        case part(PlanPart)
        case request(Request)
    }

    /// A request and its waiting planner: answered by running it, or, when the run's thread has
    /// stopped, by the error it stopped with.
    private final class Request: @unchecked Sendable {
        let body: () -> Void
        let abandon: (any Error) -> Void
        init(body: @escaping () -> Void, abandon: @escaping (any Error) -> Void) {
            self.body = body
            self.abandon = abandon
        }
    }

    /// Parts and requests in flight: one waiting (with one being written and one being planned),
    /// as measured at a million users: more slots added memory, not speed.
    private let pipe = BatchPipe<Message, any Error>(capacity: 1)
    private let sink: PlanSink

    private init(sink: PlanSink) {
        self.sink = sink
    }

    /// Runs `plan` on a new thread, and on this one writes each part it hands over into `sink` and
    /// answers its requests, until it returns. Returns what it returned; rethrows its error (after
    /// the parts before it were written), or this thread's, after the planner has stopped.
    static func plan<Result>(writingTo sink: PlanSink, _ plan: (PlanningThread) throws -> Result) throws -> Result {
        let thread = PlanningThread(sink: sink)
        return try withoutActuallyEscaping(plan) { plan in
            // The planning thread lets go of the closure before it signals: the closure must not
            // outlive this call (`withoutActuallyEscaping` checks).
            let planning = Handed<((PlanningThread) throws -> Result)?>(plan)
            let outcome = Handed<Swift.Result<Result, any Error>?>(nil)
            let ended = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                let result = Swift.Result { try planning.value!(thread) }
                planning.value = nil
                outcome.value = result
                if case .failure(let error) = result { thread.pipe.end(failure: error) } else { thread.pipe.end(failure: nil) }
                ended.signal()
            }
            do {
                while let message = try thread.pipe.take() {
                    switch message {
                    case .part(let part): try sink.write(part)
                    case .request(let request): request.body()
                    }
                }
            } catch {
                // Stop the planner (its next hand-over throws), answer what it is waiting for,
                // and wait for it: nothing of it outlives this call.
                thread.pipe.cancel()
                while let message = try? thread.pipe.take() {
                    if case .request(let request) = message { request.abandon(error) }
                }
                ended.wait()
                throw error
            }
            ended.wait()
            return try outcome.value!.get()
        }
    }

    /// Runs `body` on the run's thread, after the parts handed over before it are written, and
    /// returns its result. Called from the planning thread.
    func onRunThread<T>(_ body: @escaping () throws -> T) throws -> T {
        let answer = Handed<Swift.Result<T, any Error>?>(nil)
        let answered = DispatchSemaphore(value: 0)
        let request = Request(
            body: {
                answer.value = Swift.Result { try body() }
                answered.signal()
            },
            abandon: { error in
                answer.value = .failure(error)
                answered.signal()
            })
        guard pipe.put(.request(request)) else { throw Self.stopped }
        answered.wait()
        return try answer.value!.get()
    }

    func begin(steps: Int, unmatchedRows: Int) throws {
        let sink = sink
        try onRunThread { try sink.begin(steps: steps, unmatchedRows: unmatchedRows) }
    }

    func write(_ part: PlanPart) throws {
        guard pipe.put(.part(part)) else { throw Self.stopped }
    }

    /// What the planner's hand-over throws once the run's thread has stopped (its own error is the
    /// one the run reports).
    private static var stopped: StoreError { StoreError(.cancelled, "the run stopped writing its plan") }
}

/// A value handed from one thread to another, used by one thread at a time: each hand-over is
/// ordered by a semaphore or the pipe's lock.
final class Handed<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
