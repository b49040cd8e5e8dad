import SyncCore

/// Reads JSON Lines as they arrive, chunk by chunk (an upload, a decompressor's output): complete
/// lines become rows at once, so a million rows never sit in memory as one text. Counts lines and
/// rows; every error names the line, with the same checks as a dataset file.
public struct JSONLinesStream {
    public let reader: DatasetReader
    public let file: String
    private var pending: [UInt8] = []
    private var line = 0
    private var started = false
    public private(set) var rows = 0

    public init(kind: DatasetKind, file: String) {
        reader = DatasetReader(kind: kind)
        self.file = file
    }

    /// Feeds bytes; returns the rows of the lines they complete (users or groups, by `kind`).
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(DatasetFileError) -> DatasetContents {
        pending.append(contentsOf: bytes)
        if !started, pending.count >= 3 {
            started = true
            if pending.starts(with: [0xEF, 0xBB, 0xBF]) { pending.removeFirst(3) }
        }
        guard let last = pending.lastIndex(of: UInt8(ascii: "\n")) else { return empty }
        let complete = pending[...last]
        let contents = try rows(of: complete)
        pending.removeFirst(last + 1)
        return contents
    }

    /// The rows of a last line without a newline.
    public mutating func finish() throws(DatasetFileError) -> DatasetContents {
        started = true
        let contents = try rows(of: pending[...])
        pending.removeAll()
        return contents
    }

    private var empty: DatasetContents { DatasetRowBatch(kind: reader.kind).contents }

    private mutating func rows(of bytes: ArraySlice<UInt8>) throws(DatasetFileError) -> DatasetContents {
        var batch = DatasetRowBatch(kind: reader.kind)
        for lineBytes in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            line += 1
            if lineBytes.isEmpty { continue }
            guard let record = try reader.jsonLinesRecord(lineBytes, file: file, line: line) else { continue }
            try batch.add(record, file: file)
        }
        // The split counts the empty piece after a final newline as a line: take it back.
        if bytes.last == UInt8(ascii: "\n") { line -= 1 }
        rows += batch.count
        return batch.contents
    }
}
