import ArgumentParser
import Foundation

/// A date-time on the command line: `2026-11-24`, `2026-11-24T08:30`, `2026-11-24 08:30:15`, with an
/// optional `Z` or `+HH:MM`; without a zone it is local time.
struct DateArgument: ExpressibleByArgument {
    var date: Date
    /// True when only a day was given (so `--to` can mean the end of that day).
    var dayOnly: Bool

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "T")
        let formats: [(String, Bool)] = [
            ("yyyy-MM-dd'T'HH:mm:ssXXXXX", false), ("yyyy-MM-dd'T'HH:mmXXXXX", false),
            ("yyyy-MM-dd'T'HH:mm:ss", false), ("yyyy-MM-dd'T'HH:mm", false), ("yyyy-MM-dd", true),
        ]
        for (format, dayOnly) in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone.current
            formatter.dateFormat = format
            if let date = formatter.date(from: text) {
                self.date = date
                self.dayOnly = dayOnly
                return
            }
        }
        return nil
    }

    static var defaultValueDescription: String { "YYYY-MM-DD[THH:MM[:SS]][Z|±HH:MM]" }
}
