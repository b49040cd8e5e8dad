/// A dataset file that cannot be read, with the place and what is wrong; the file is refused whole.
public struct DatasetFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    /// 1-based line where the problem starts; nil for problems of the whole file.
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
