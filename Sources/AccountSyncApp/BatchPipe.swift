import Foundation
import SyncCore
import SyncStore

/// Hands batches from one thread to another through a small bounded buffer: a dataset file is
/// read and parsed on one core while the other writes the previous batches to the store. The
/// reader ends the pipe (with its error, if any); the writer can cancel it, which stops the
/// reader at its next batch.
final class BatchPipe<Batch: Sendable, Failure: Error>: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [Batch] = []
    private let capacity: Int
    private var ended = false
    private var failure: Failure?
    private var cancelled = false

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Waits for room and adds a batch; false when the writer has cancelled (stop reading).
    func put(_ batch: Batch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        batches.append(batch)
        condition.broadcast()
        return true
    }

    /// The reader is done: every batch is in, or reading failed with `failure`.
    func end(failure: Failure?) {
        condition.lock()
        defer { condition.unlock() }
        ended = true
        self.failure = failure
        condition.broadcast()
    }

    /// The writer stops taking batches (it failed, or it has finished).
    func cancel() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        condition.broadcast()
    }

    /// The next batch; nil once the reader has ended and every batch was taken; the reader's
    /// failure once the batches before it were taken.
    func take() throws(Failure) -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !ended { condition.wait() }
        if !batches.isEmpty {
            let batch = batches.removeFirst()
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }
}

extension AccountStore {
    /// Replaces dataset `name` with the batches `produce` makes on a thread of its own, while this
    /// thread writes the earlier ones in the dataset's one transaction: one core parses a file or
    /// pulls a directory, the other writes. `produce` hands each batch to `put`, which returns false
    /// once the writing has failed (stop producing). A failure of `produce` rolls the transaction
    /// back, leaving the earlier version, and is rethrown as it came; so is a failed write.
    func replaceDataset<Batch: Sendable, Failure: Error>(
        name: String, kind: DatasetKind, source: String,
        producing produce: @escaping @Sendable (_ put: @escaping (Batch) -> Bool) throws(Failure) -> Void,
        write: (DatasetWriter, Batch) throws -> Void
    ) throws {
        let pipe = BatchPipe<Batch, Failure>(capacity: 3)
        let producerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do throws(Failure) {
                try produce { batch in pipe.put(batch) }
                pipe.end(failure: nil)
            } catch {
                pipe.end(failure: error)
            }
            producerDone.signal()
        }
        defer {
            pipe.cancel()
            producerDone.wait()
        }
        try replaceDataset(name: name, kind: kind, source: source) { writer in
            while let batch = try pipe.take() { try write(writer, batch) }
        }
    }
}
