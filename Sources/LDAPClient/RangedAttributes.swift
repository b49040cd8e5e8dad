import CLDAP

/// Active Directory's ranged attribute retrieval: a multi-valued attribute with more values than
/// the server's MaxValRange (1,500 by default) arrives as `member;range=0-1499`, and the client
/// must ask for `member;range=1500-*` and so on until a range ends in `*`. `LDAPConnection`
/// follows ranges transparently, so callers always see every value under the plain name.
public struct AttributeRange: Sendable, Equatable {
    public var attribute: String
    public var start: Int
    /// nil when the range ends in `*` (the last chunk).
    public var end: Int?

    /// Parses `member;range=0-1499` (and `member;range=1500-*`); nil for a plain attribute name.
    public init?(_ description: String) {
        // Most names have no option at all: no split for them (every attribute of every entry).
        guard description.utf8.contains(UInt8(ascii: ";")) else { return nil }
        let parts = description.split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count >= 2, let option = parts.last, option.lowercased().hasPrefix("range=") else { return nil }
        let bounds = option.dropFirst("range=".count).split(separator: "-", maxSplits: 1)
        guard bounds.count == 2, let start = Int(bounds[0]) else { return nil }
        if bounds[1] == "*" {
            end = nil
        } else if let value = Int(bounds[1]), value >= start {
            end = value
        } else {
            return nil
        }
        self.start = start
        attribute = parts.dropLast().joined(separator: ";")
    }

    /// The request for the chunk after this one: `member;range=1500-*`.
    public var next: String? {
        guard let end, end < Int.max else { return nil }
        return "\(attribute);range=\(end + 1)-*"
    }
}

extension LDAPConnection {
    /// Every value of `attribute` of one entry, following AD's ranges to the end. With
    /// `rangeSize`, asks for ranges explicitly from the start (Samba only ranges when asked).
    public func allValues(of attribute: String, dn: String, rangeSize: Int? = nil) throws -> [[UInt8]] {
        var request = rangeSize.map { "\(attribute);range=0-\($0 - 1)" } ?? attribute
        var values: [[UInt8]] = []
        var rounds = 0
        while true {
            rounds += 1
            guard rounds < 100_000 else {
                throw LDAPError(kind: .other, operation: "read \(attribute) of \(dn)", message: "the server's ranges never end")
            }
            let entries = try searchAll(base: dn, scope: .base, attributes: [request], pageSize: 1, followRanges: false)
            guard let entry = entries.first else { return values }
            // The answer is either the plain attribute (all values) or one range of it.
            if let chunk = entry.attributes.first(where: { AttributeRange($0.name)?.attribute.lowercased() == attribute.lowercased() }),
                let range = AttributeRange(chunk.name)
            {
                values += chunk.values
                guard let next = range.next else { return values }
                request = next
            } else {
                return values + entry.bytes(attribute)
            }
        }
    }

    /// Replaces every ranged attribute of `entry` with all of its values under the plain name.
    func completeRanges(_ entry: inout LDAPEntry) throws {
        var completed: [(name: String, values: [[UInt8]])] = []
        for attribute in entry.attributes {
            if let range = AttributeRange(attribute.name) {
                var values = attribute.values
                if range.next != nil {
                    // Fetch from the first value past this chunk to the end, following further ranges.
                    values += try allValuesFrom(range, dn: entry.dn)
                }
                completed.append((range.attribute, values))
            } else {
                completed.append(attribute)
            }
        }
        entry.attributes = completed
    }

    private func allValuesFrom(_ range: AttributeRange, dn: String) throws -> [[UInt8]] {
        var values: [[UInt8]] = []
        var request = range.next
        var expectedStart = (range.end ?? 0) + 1
        while let current = request {
            let entries = try searchAll(base: dn, scope: .base, attributes: [current], pageSize: 1, followRanges: false)
            guard let entry = entries.first,
                let chunk = entry.attributes.first(where: { AttributeRange($0.name)?.attribute.lowercased() == range.attribute.lowercased() }),
                let chunkRange = AttributeRange(chunk.name)
            else { break }
            // A server that answers with a range other than the one asked for would loop forever.
            guard chunkRange.start == expectedStart else {
                throw LDAPError(kind: .other, operation: "read \(range.attribute) of \(dn)", message: "the server answered range \(chunkRange.start)- when \(expectedStart)- was asked for; the values cannot be known to be complete")
            }
            values += chunk.values
            request = chunkRange.next
            expectedStart = (chunkRange.end ?? 0) &+ 1
        }
        return values
    }
}
