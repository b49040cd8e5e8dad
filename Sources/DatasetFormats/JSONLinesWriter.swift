import SyncCore

/// Writes datasets as JSON Lines in exactly the shape `DatasetReader` reads: one object a line,
/// keys sorted. Hand-rolled, into bytes: Foundation's JSONEncoder was half the cost of a
/// 100,000-user pull, and appending to a String a fifth of a million-user one. The round trip
/// through the reader is tested.
public enum JSONLinesWriter {
    /// The rows as UTF-8 JSON Lines.
    public static func bytes(_ rows: [UserRow]) -> [UInt8] {
        var out = Output()
        out.bytes.reserveCapacity(rows.count * 220)
        // Through a pointer: each row is read in place, not copied (a copy retains and releases
        // each field; `rows[index]`, even through a buffer, still made one).
        rows.withUnsafeBufferPointer { rows in
            guard let first = rows.baseAddress else { return }
            for index in rows.indices { out.user(first + index) }
        }
        return out.bytes
    }

    public static func bytes(_ rows: some Collection<GroupRow>) -> [UInt8] {
        var out = Output()
        for row in rows {
            out.raw("{\"externalId\":"); out.string(row.externalId)
            out.raw(",\"groupId\":"); out.string(row.groupId)
            out.raw(",\"name\":"); out.string(row.name)
            out.raw(",\"parentGroupId\":"); out.string(row.parentGroupId)
            out.raw(",\"thirdParty\":"); out.map(row.thirdParty)
            out.raw("}\n")
        }
        return out.bytes
    }

    /// The rows as JSON Lines text.
    public static func lines(_ rows: [UserRow]) -> String { String(decoding: bytes(rows), as: UTF8.self) }

    public static func lines(_ rows: some Collection<GroupRow>) -> String { String(decoding: bytes(rows), as: UTF8.self) }

    /// The bytes written so far, and how JSON values are written into them.
    struct Output {
        var bytes: [UInt8] = []

        /// One user's line.
        mutating func user(_ pointer: UnsafePointer<UserRow>) {
            raw("{\"account\":"); string(pointer.pointee.account)
            raw(",\"accountType\":"); string(pointer.pointee.accountType)
            raw(",\"disabled\":"); raw(pointer.pointee.disabled ? "true" : "false")
            raw(",\"email\":"); string(pointer.pointee.email)
            raw(",\"externalId\":"); string(pointer.pointee.externalId)
            raw(",\"groupIds\":[")
            for (index, id) in pointer.pointee.groupIds.enumerated() {
                if index > 0 { raw(",") }
                string(id)
            }
            raw("],\"mobile\":"); string(pointer.pointee.mobile)
            raw(",\"name\":"); string(pointer.pointee.name)
            raw(",\"thirdParty\":"); map(pointer.pointee.thirdParty)
            raw("}\n")
        }

        /// Text that needs no escaping (the writer's own punctuation and keys).
        mutating func raw(_ text: StaticString) {
            bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        /// `{"system":"id",…}`, keys sorted (one key, the usual `ldapDN`, needs no sorting).
        mutating func map(_ map: [String: String]) {
            raw("{")
            if map.count == 1, let (system, id) = map.first {
                string(system)
                raw(":")
                string(id)
            } else {
                for (index, (system, id)) in map.sorted(by: { $0.key < $1.key }).enumerated() {
                    if index > 0 { raw(",") }
                    string(system)
                    raw(":")
                    string(id)
                }
            }
            raw("}")
        }

        /// A JSON string literal: quotes, backslashes and control characters escaped; UTF-8 kept.
        mutating func string(_ value: String) {
            bytes.append(0x22)
            var value = value
            value.withUTF8 { utf8 in
                var start = 0
                for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                    escape(byte)
                    start = index + 1
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            }
            bytes.append(0x22)
        }

        private mutating func escape(_ byte: UInt8) {
            switch byte {
            case 0x22: raw("\\\"")
            case 0x5C: raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            default:
                let digits: [UInt8] = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0x0F)])
            }
        }
    }
}
