import Foundation

/// Hands batches from one thread to another through a small bounded buffer: a dataset file is
/// parsed, or a directory read, on one core while the other writes (or maps) the previous
/// batches. The reader ends the pipe (with its error, if any); the writer can cancel it, which
/// stops the reader at its next batch.
public final class BatchPipe<Batch: Sendable, Failure: Error>: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [Batch] = []
    private let capacity: Int
    private var ended = false
    private var failure: Failure?
    private var cancelled = false

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Waits for room and adds a batch; false when the writer has cancelled (stop reading).
    public func put(_ batch: Batch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        batches.append(batch)
        condition.broadcast()
        return true
    }

    /// The reader is done: every batch is in, or reading failed with `failure`.
    public func end(failure: Failure?) {
        condition.lock()
        defer { condition.unlock() }
        ended = true
        self.failure = failure
        condition.broadcast()
    }

    /// The writer stops taking batches (it failed, or it has finished).
    public func cancel() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        condition.broadcast()
    }

    /// The next batch; nil once the reader has ended and every batch was taken; the reader's
    /// failure once the batches before it were taken.
    public func take() throws(Failure) -> Batch? {
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

/// Runs `produce` on a thread of its own and hands each batch it puts to `consume` on this one:
/// one core parses a file or pulls a directory while the other writes the earlier batches. `put`
/// returns false once `consume` has failed (stop producing). A failure of `produce` is rethrown
/// as it came, after the batches before it were consumed; so is a failure of `consume`, after
/// the producer has stopped.
public func pipelined<Batch: Sendable, Failure: Error>(
    producing produce: @escaping @Sendable (_ put: @escaping (Batch) -> Bool) throws(Failure) -> Void,
    consume: (Batch) throws -> Void
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
    while let batch = try pipe.take() { try consume(batch) }
}


/// `pipelined`, for a producer that emits one item at a time: the items are gathered into batches
/// of `size` on the producer's thread, and each batch (the last may be short, or empty) goes to
/// `consume` on this one. Once `consume` has failed, `emit` throws `stopped()`.
public func pipelined<Item: Sendable, Failure: Error>(
    batchesOf size: Int, stopped: @escaping @Sendable () -> Failure,
    producing produce: @escaping @Sendable (_ emit: @escaping (Item) throws(Failure) -> Void) throws(Failure) -> Void,
    consume: ([Item]) throws -> Void
) throws {
    try pipelined(producing: { (put: @escaping ([Item]) -> Bool) throws(Failure) in
        var batch: [Item] = []
        batch.reserveCapacity(size)
        func send() throws(Failure) {
            guard put(batch) else { throw stopped() }
            batch = []
            batch.reserveCapacity(size)
        }
        try produce { item throws(Failure) in
            batch.append(item)
            if batch.count >= size { try send() }
        }
        try send()
    }, consume: consume)
}
