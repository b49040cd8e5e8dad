#if canImport(Glibc)
import Glibc
#endif

/// One directory entry: its DN and its attributes' raw values (binary-safe: `objectGUID`).
///
/// Held compactly, because a pull reads a million of them: every value's bytes one after another
/// in one buffer, and each value a slot naming its attribute and its place in the buffer. An
/// entry is then four allocations, not one per value and per attribute (allocation was a fifth
/// of a million-user pull). `firstValue` reads without copying.
public struct LDAPEntry: Sendable {
    public var dn: String
    /// Attribute names as the server sent them, in order, each once (an attribute sent in two
    /// places is one attribute with every value).
    public private(set) var names: [String] = []
    private var buffer: [UInt8] = []
    private var slots: [Slot] = []

    /// One value: its attribute (an index into `names`) and its bytes' place in `buffer`.
    private struct Slot: Sendable {
        var attribute: Int
        var start: Int
        var end: Int
    }

    public init(dn: String, attributes: [(name: String, values: [[UInt8]])] = []) {
        self.dn = dn
        self.attributes = attributes
    }

    /// Attribute names with their values, in order. Copies every value: for a few entries only
    /// (ranged attributes, tests); a pull reads through `firstValue`, `bytes` and `strings`.
    public var attributes: [(name: String, values: [[UInt8]])] {
        get { names.indices.map { index in (names[index], slots.filter { $0.attribute == index }.map { Array(buffer[$0.start..<$0.end]) }) } }
        set {
            names = []
            buffer = []
            slots = []
            for (name, values) in newValue {
                let attribute = attributeIndex(name)
                for value in values { value.withUnsafeBytes { append($0, to: attribute) } }
            }
        }
    }

    /// The index of attribute `name` (compared case-insensitively), added if it is new.
    mutating func attributeIndex(_ name: String) -> Int {
        if let index = names.firstIndex(where: { Self.sameName($0, name) }) { return index }
        if names.isEmpty { names.reserveCapacity(12) }
        names.append(name)
        return names.count - 1
    }

    /// Starts the entry's names from those of an entry read before it: most entries of a search
    /// carry the same attributes in the same order, so their names are then shared, not made,
    /// compared and stored again for each entry. `attributeIndex(_:confirmed:)` keeps each name
    /// that comes as expected, and `finishNames(confirmed:)` drops the ones that never came.
    mutating func startNames(from earlier: [String]) {
        names = earlier
    }

    /// The index of the attribute named by `name` (raw bytes as sent), when the entry's names were
    /// started from an earlier entry's: the next expected name costs one comparison of bytes.
    /// `confirmed` counts the names this entry has sent so far.
    mutating func attributeIndex(_ name: UnsafeRawBufferPointer, confirmed: inout Int) -> Int {
        if confirmed < names.count, Self.same(names[confirmed], name) {
            confirmed += 1
            return confirmed - 1
        }
        // Not as expected: the names still unconfirmed are not this entry's.
        if confirmed < names.count { names.removeSubrange(confirmed...) }
        let index = attributeIndex(String(decoding: name, as: UTF8.self))
        confirmed = names.count
        return index
    }

    /// Drops the expected names that the entry did not send.
    mutating func finishNames(confirmed: Int) {
        if confirmed < names.count { names.removeSubrange(confirmed...) }
    }

    /// Whether `name` holds exactly the bytes `bytes`.
    private static func same(_ name: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var name = name
        return name.withUTF8 { utf8 in utf8.count == bytes.count && (utf8.isEmpty || memcmp(utf8.baseAddress!, bytes.baseAddress!, bytes.count) == 0) }
    }

    /// Adds a value to the attribute at `attribute`.
    mutating func append(_ value: UnsafeRawBufferPointer, to attribute: Int) {
        if slots.isEmpty {
            slots.reserveCapacity(16)
            buffer.reserveCapacity(256)
        }
        let start = buffer.count
        buffer.append(contentsOf: value)
        slots.append(Slot(attribute: attribute, start: start, end: buffer.count))
    }

    /// The index of attribute `name`, compared case-insensitively; nil when the entry has none.
    private func index(of name: String) -> Int? {
        names.firstIndex { Self.sameName($0, name) }
    }

    /// The first value of an attribute, as a slice of the entry's buffer (no copy).
    public func firstValue(_ name: String) -> ArraySlice<UInt8>? {
        guard let attribute = index(of: name), let slot = slots.first(where: { $0.attribute == attribute }) else { return nil }
        return buffer[slot.start..<slot.end]
    }

    /// The values of an attribute (name compared case-insensitively, as LDAP does), as bytes.
    public func bytes(_ name: String) -> [[UInt8]] {
        guard let attribute = index(of: name) else { return [] }
        return slots.compactMap { $0.attribute == attribute ? Array(buffer[$0.start..<$0.end]) : nil }
    }

    /// ASCII case-insensitive equality (attribute descriptions are ASCII), without Foundation.
    static func sameName(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        var a = a, b = b
        guard a.utf8.count == b.utf8.count else { return false }
        return a.withUTF8 { x in
            b.withUTF8 { y in
                for index in 0..<x.count where x[index] != y[index] {
                    let lower = x[index] | 0x20
                    guard lower == y[index] | 0x20, lower >= 0x61, lower <= 0x7A else { return false }
                }
                return true
            }
        }
    }

    /// The values of an attribute as UTF-8 strings (invalid UTF-8 values are left out).
    public func strings(_ name: String) -> [String] {
        guard let attribute = index(of: name) else { return [] }
        return slots.compactMap { $0.attribute == attribute ? Self.text(buffer[$0.start..<$0.end]) : nil }
    }

    /// A value as text when it is valid UTF-8, else nil. ASCII values (most of a directory) skip
    /// Swift's generic validation, which was a tenth of a million-user pull.
    public static func text(_ value: [UInt8]) -> String? {
        text(value[...])
    }

    /// A value (a slice of an entry's buffer) as text when it is valid UTF-8, else nil.
    public static func text(_ value: ArraySlice<UInt8>) -> String? {
        value.withUnsafeBufferPointer { bytes in
            bytes.contains { $0 >= 0x80 } ? String(validating: bytes, as: UTF8.self) : String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The first value of an attribute as a string.
    public func string(_ name: String) -> String? { strings(name).first }
}
