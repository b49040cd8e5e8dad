/// An RFC 4180 CSV reader that knows the line each record starts on, so that every error can name
/// it: quoted fields with embedded commas, quotes (`""`) and newlines; CRLF or LF; UTF-8 with or
/// without a byte order mark. Blank lines are skipped.
///
/// Hand-written rather than taken from a package because the packages here (SwiftCSV, CSV.swift)
/// do not report the line of a malformed record, and a refused file must say where it is wrong.
struct CSVReader {
    struct Record {
        var line: Int
        var fields: [String]
    }

    let file: String
    /// The most fields a record may have: a dataset has about ten columns (and a few thirdParty.*),
    /// so a line with more is a wrong file, refused at once rather than read at any length.
    static let maximumFields = 1_000

    func records(_ bytes: [UInt8]) throws(DatasetFileError) -> [Record] {
        var records: [Record] = []
        let failure: DatasetFileError? = bytes.withUnsafeBytes { buffer in
            do throws(DatasetFileError) {
                try forEachRecord(buffer) { records.append($0) }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        return records
    }

    /// Calls `body` with each record in turn, as it is read: a file of a million lines is never
    /// held as records (a mapped file's bytes go straight to rows).
    func forEachRecord(_ bytes: UnsafeRawBufferPointer, _ body: (Record) throws(DatasetFileError) -> Void) throws(DatasetFileError) {
        var fields: [String] = []
        var field: [UInt8] = []  // a quoted field's bytes, unquoted
        var index = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        var fieldStart = index  // an unquoted field is the bytes from here to its end, read in place
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var quoteLine = 0
        var fieldWasQuoted = false
        let count = bytes.count

        /// Ends the field at `end` (the delimiter's index) and starts the next one after it.
        func finishField(at end: Int) throws(DatasetFileError) {
            let decoded = fieldWasQuoted
                ? field.withUnsafeBufferPointer { Self.text($0) }
                : Self.text(UnsafeRawBufferPointer(rebasing: bytes[fieldStart..<end]).assumingMemoryBound(to: UInt8.self))
            guard let text = decoded else {
                throw DatasetFileError(file: file, line: line, message: "not valid UTF-8 (save the file as UTF-8)")
            }
            guard fields.count < Self.maximumFields else {
                throw DatasetFileError(file: file, line: recordLine, message: "more than \(Self.maximumFields) fields on one line; a dataset has at most \(Self.maximumFields) columns (is this the right file, and is its separator a comma?)")
            }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
            fieldStart = end + 1
        }
        func finishRecord(at end: Int) throws(DatasetFileError) {
            try finishField(at: end)
            if !(fields.count == 1 && fields[0].isEmpty) {  // a blank line
                try body(Record(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
        }

        while index < count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < count && bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                try finishField(at: index)
            case UInt8(ascii: "\r"):
                try finishRecord(at: index)
                if index + 1 < count && bytes[index + 1] == UInt8(ascii: "\n") {
                    index += 1
                    fieldStart = index + 1
                }
                line += 1
                recordLine = line
            case UInt8(ascii: "\n"):
                try finishRecord(at: index)
                line += 1
                recordLine = line
            case UInt8(ascii: "\""):
                guard index == fieldStart && !fieldWasQuoted else {
                    throw DatasetFileError(file: file, line: line, message: "a quote (\") inside an unquoted field; quote the whole field and double the quote (\"\")")
                }
                inQuotes = true
                fieldWasQuoted = true
                quoteLine = line
            default:
                if fieldWasQuoted {
                    throw DatasetFileError(file: file, line: line, message: "text after a closing quote; a quoted field must end at a comma or the end of the line")
                }
            }
            index += 1
        }
        if inQuotes {
            throw DatasetFileError(file: file, line: quoteLine, message: "a quoted field starts here and is never closed")
        }
        if fieldStart < count || !fields.isEmpty || fieldWasQuoted {
            try finishRecord(at: count)
        }
    }

    /// Bytes as text when they are valid UTF-8, else nil. ASCII (most fields) is valid UTF-8 as
    /// it is: no generic validation for it.
    private static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        bytes.contains { $0 >= 0x80 } ? String(validating: bytes, as: UTF8.self) : String(decoding: bytes, as: UTF8.self)
    }
}
