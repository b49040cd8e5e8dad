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
        var field: [UInt8] = []
        var index = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var quoteLine = 0
        var fieldWasQuoted = false
        let count = bytes.count

        func finishField() throws(DatasetFileError) {
            // ASCII (most fields) is valid UTF-8 as it is: no generic validation for it.
            let ascii = field.withUnsafeBufferPointer { bytes in !bytes.contains { $0 >= 0x80 } }
            guard let text = ascii ? field.withUnsafeBufferPointer({ String(decoding: $0, as: UTF8.self) }) : String(validating: field, as: UTF8.self) else {
                throw DatasetFileError(file: file, line: line, message: "not valid UTF-8 (save the file as UTF-8)")
            }
            guard fields.count < Self.maximumFields else {
                throw DatasetFileError(file: file, line: recordLine, message: "more than \(Self.maximumFields) fields on one line; a dataset has at most \(Self.maximumFields) columns (is this the right file, and is its separator a comma?)")
            }
            fields.append(text)
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        func finishRecord() throws(DatasetFileError) {
            try finishField()
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
                try finishField()
            case UInt8(ascii: "\r"):
                if index + 1 < count && bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
                try finishRecord()
                line += 1
                recordLine = line
            case UInt8(ascii: "\n"):
                try finishRecord()
                line += 1
                recordLine = line
            case UInt8(ascii: "\""):
                guard field.isEmpty && !fieldWasQuoted else {
                    throw DatasetFileError(file: file, line: line, message: "a quote (\") inside an unquoted field; quote the whole field and double the quote (\"\")")
                }
                inQuotes = true
                fieldWasQuoted = true
                quoteLine = line
            default:
                if fieldWasQuoted {
                    throw DatasetFileError(file: file, line: line, message: "text after a closing quote; a quoted field must end at a comma or the end of the line")
                }
                field.append(byte)
            }
            index += 1
        }
        if inQuotes {
            throw DatasetFileError(file: file, line: quoteLine, message: "a quoted field starts here and is never closed")
        }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted {
            try finishRecord()
        }
    }
}
