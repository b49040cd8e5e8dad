import Foundation
import SyncCore
import Testing

@testable import SyncStore

/// The planner runs on a thread of its own while the run's thread writes (`PlanningThread`). What
/// it asks of the store must see every part handed over before, on the run's thread; a failure on
/// either side must stop the other and never hang.
@Suite struct PlanningThreadTests {
    /// Records the parts it is given (by their `stepsDone`), on which thread, and fails on one.
    final class RecordingSink: PlanSink, @unchecked Sendable {
        var written: [Int] = []
        var threads = Set<UInt>()
        var begun: (steps: Int, unmatched: Int)?
        let failOn: Int?

        init(failOn: Int? = nil) {
            self.failOn = failOn
        }

        func begin(steps: Int, unmatchedRows: Int) throws {
            begun = (steps, unmatchedRows)
            threads.insert(UInt(bitPattern: Int(pthread_self())))
        }

        func write(_ part: PlanPart) throws {
            threads.insert(UInt(bitPattern: Int(pthread_self())))
            if part.stepsDone == failOn { throw StoreError(.unavailable, "disk full at part \(part.stepsDone ?? -1)") }
            if (part.stepsDone ?? 0) % 7 == 0 { usleep(200) }  // the writer lags behind now and then
            written.append(part.stepsDone ?? -1)
        }
    }

    struct PlannerFailure: Error, Equatable {}

    @Test func requestsSeeEveryPartHandedOverBeforeThemOnTheRunsThread() throws {
        let sink = RecordingSink()
        let runThread = UInt(bitPattern: Int(pthread_self()))
        var seen: [(asked: Int, written: Int, onRunThread: Bool)] = []
        let result = try PlanningThread.plan(writingTo: sink) { thread -> String in
            #expect(UInt(bitPattern: Int(pthread_self())) != runThread)
            try thread.begin(steps: 200, unmatchedRows: 10)
            for part in 1...200 {
                try thread.write(PlanPart(stepsDone: part))
                if part % 9 == 0 {
                    let written = try thread.onRunThread { sink.written.count }
                    let onRunThread = try thread.onRunThread { UInt(bitPattern: Int(pthread_self())) == runThread }
                    seen.append((part, written, onRunThread))
                }
            }
            return "planned"
        }
        #expect(result == "planned")
        #expect(sink.written == Array(1...200))
        #expect(sink.begun?.steps == 200 && sink.begun?.unmatched == 10)
        #expect(sink.threads == [runThread])
        #expect(seen.count == 22)
        for request in seen {
            #expect(request.written == request.asked)
            #expect(request.onRunThread)
        }
    }

    @Test func aWriterFailureStopsThePlannerAndIsTheErrorThrown() throws {
        // Many times over: the planner may be handing over a part, waiting for room, or waiting
        // for a request's answer when the writer fails.
        for attempt in 0..<200 {
            let sink = RecordingSink(failOn: 3 + attempt % 5)
            let plannerStopped = Handed<Error?>(nil)
            #expect(throws: StoreError.self) {
                try PlanningThread.plan(writingTo: sink) { thread in
                    do {
                        for part in 1...1_000 {
                            try thread.write(PlanPart(stepsDone: part))
                            if (part + attempt) % 3 == 0 { _ = try thread.onRunThread { sink.written.count } }
                        }
                    } catch {
                        plannerStopped.value = error
                        throw error
                    }
                }
            }
            #expect(sink.written == Array(1..<(3 + attempt % 5)))
            // A hand-over after the failure is refused; a request already handed over is answered
            // with the writer's own error.
            let stopped = try #require(plannerStopped.value as? StoreError)
            #expect(stopped.message == "the run stopped writing its plan" || stopped.message.hasPrefix("disk full"))
        }
    }

    @Test func aPlannerFailureComesAfterThePartsBeforeIt() throws {
        let sink = RecordingSink()
        #expect(throws: PlannerFailure.self) {
            try PlanningThread.plan(writingTo: sink) { thread in
                for part in 1...5 { try thread.write(PlanPart(stepsDone: part)) }
                throw PlannerFailure()
            }
        }
        #expect(sink.written == [1, 2, 3, 4, 5])
    }

    @Test func aRequestsErrorReachesThePlanner() throws {
        let sink = RecordingSink()
        let outcome = try PlanningThread.plan(writingTo: sink) { thread -> String in
            do {
                _ = try thread.onRunThread { () throws -> Int in throw StoreError(.notFound, "no such dataset") }
                return "answered"
            } catch let error as StoreError {
                return error.message
            }
        }
        #expect(outcome == "no such dataset")
    }
}
