import Foundation
import Pipelining
import SyncCore
import SyncStore

extension AccountStore {
    /// Replaces dataset `name` with the batches `produce` makes on a thread of its own (see
    /// `pipelined`), written by `write` in the dataset's one transaction. A failure of either
    /// rolls the transaction back, leaving the earlier version, and is rethrown as it came.
    func replaceDataset<Batch: Sendable, Failure: Error>(
        name: String, kind: DatasetKind, source: String,
        producing produce: @escaping @Sendable (_ put: @escaping (Batch) -> Bool) throws(Failure) -> Void,
        write: (DatasetWriter, Batch) throws -> Void
    ) throws {
        try replaceDataset(name: name, kind: kind, source: source) { writer in
            try pipelined(producing: produce) { batch in try write(writer, batch) }
        }
    }
}
