import Foundation
import GRDB
import SQLiteTuning
import SyncCore

/// The account store: datasets, users, groups, memberships, resources, the Update History and the
/// per-user audit trail, in one SQLite file created with its schema on first use.
///
/// Every write is one transaction; `apply(_:run:)` writes a whole plan and its history entry at
/// once, so a crash leaves the store as it was before the run.
public final class AccountStore: Sendable {
    public let path: String
    /// A pool: in WAL mode readers run side by side (a server's requests) and never wait for the
    /// writer; writes are one at a time.
    let queue: DatabasePool

    /// SQLite's process-wide settings, made once before the first connection opens: at 1,000,000
    /// rows, SQLite's mutexes (taken on every call and every allocation in Debian's build) were a
    /// tenth of an import's writing thread. When something opened SQLite first, they stay off.
    private static let tuned: Bool = sqlite_tuning_apply() == 1

    /// Opens (and if needed creates and migrates) the store at `path`.
    public init(path: String) throws(StoreError) {
        _ = Self.tuned
        self.path = path
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(10)
        // PRAGMAs: WAL (DatabasePool's journal mode), so readers never wait for a run's write;
        // synchronous = NORMAL, which in WAL mode keeps every transaction atomic through a crash or
        // kill -9 (tested) and skips an fsync per commit (a power cut may lose the last commits,
        // never half of one); temp_store stays on file (MEMORY was measured: no gain at 1M users).
        // page_size = 16 KiB, which SQLite applies only to a store still empty (a new one): a run
        // writes and reads its pages a quarter as often through the WAL. A first run of 1,000,000
        // users took 15.2 s instead of 16.7 s on average of three (runs interleaved).
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA page_size = 16384")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw StoreError(.unavailable, "the store's folder \(folder) does not exist; create it or change store.path")
            }
            // The store holds names, emails, mobiles and the audit trail: create it 0600 whatever the
            // umask; SQLite gives its -wal and -shm files the same mode.
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw StoreError(.unavailable, "cannot create the store \(path): check that its folder is writable")
                }
            }
            queue = try DatabasePool(path: path, configuration: configuration)
            // A store written by a newer account-sync has migrations we do not know: writing to it
            // as if it were ours could lose what the newer version keeps.
            let unknown = try queue.read { db in
                try Schema.migrator.appliedIdentifiers(db).subtracting(Schema.migrator.migrations)
            }
            if let first = unknown.sorted().first {
                throw StoreError(.unavailable, "the store \(path) was written by a newer account-sync: unknown migration '\(first)'; use that version (or newer) with it")
            }
            try Schema.migrator.migrate(queue)
            // The writer's page cache: 64 MiB instead of SQLite's 2 MiB. A run that writes a million
            // users touches far more pages than 2 MiB holds, and each page pushed out is written to
            // the WAL and read back through a system call: measured on a first run of 1,000,000
            // users, system time fell from 7.8 s to 2.2 s. Readers keep the default (they are
            // many in a server, and read little each). Memory-mapped reads were tried too: no
            // faster, and 450 MiB more resident.
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = -65536") }
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Runs `body` in a read, turning database errors into `StoreError`.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try queue.read(body) } catch { throw StoreError.wrap(error, path: path) }
    }

    /// Runs `body` in one write transaction, turning database errors into `StoreError`.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try queue.write(body) } catch { throw StoreError.wrap(error, path: path) }
    }
}

/// Makes equal texts share one string. A million dataset rows name the same few thousand groups:
/// read as a string per row and per id, their ids took about 130 MB at a million users.
final class TextInterner {
    /// Strings by the FNV-1a hash of their bytes; a hash held by another text gives a new string.
    private var byHash: [UInt64: String] = [:]

    /// The string of these UTF-8 bytes, shared with every equal text interned before.
    func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        if let known = byHash[hash], Self.equal(known, bytes) { return known }
        let text = String(decoding: bytes, as: UTF8.self)
        if byHash[hash] == nil { byHash[hash] = text }
        return text
    }

    private static func equal(_ text: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var text = text
        return text.withUTF8 { known in known.count == bytes.count && (bytes.isEmpty || memcmp(known.baseAddress!, bytes.baseAddress!, bytes.count) == 0) }
    }
}

/// The stored JSON texts of a row's group ids and third-party ids, decoded from the bytes SQLite
/// hands over, without making a string of the whole text first: reading a million rows of a
/// directory's dataset spent most of its time splitting those strings. Handles the texts the store
/// writes without escapes (`["a","b"]`, `{"k":"v"}`); any other text is decoded as a string.
enum StoredJSON {
    private static let quote = UInt8(ascii: "\"")

    /// The strings between quotes of `["a","b"]` or `{"k":"v"}` from `bytes[2...]`, or nil when the
    /// text is not in that form (escapes, spaces).
    private static func quoted(_ bytes: UnsafeBufferPointer<UInt8>, open: UInt8, close: UInt8, pairs: Bool) -> [Range<Int>]? {
        let count = bytes.count
        guard count >= 4, bytes[0] == open, bytes[1] == quote, bytes[count - 2] == quote, bytes[count - 1] == close,
            memchr(bytes.baseAddress!, 0x5C, count) == nil
        else { return nil }
        var ranges: [Range<Int>] = []
        var start = 2
        while true {
            var end = start
            while bytes[end] != quote { end += 1 }  // a quote is at count - 2
            ranges.append(start..<end)
            if end == count - 2 { break }
            // Between a key and its value `":"`, between items `","`.
            let separator = pairs && ranges.count % 2 == 1 ? UInt8(ascii: ":") : UInt8(ascii: ",")
            guard end + 3 <= count - 2, bytes[end + 1] == separator, bytes[end + 2] == quote else { return nil }
            start = end + 3
        }
        return pairs && ranges.count % 2 == 1 ? nil : ranges
    }

    /// Group ids, as `GroupIdsCoding.decode` reads them; equal ids share one string.
    static func groupIds(_ bytes: UnsafeBufferPointer<UInt8>, interning interner: TextInterner) -> [String] {
        guard !bytes.isEmpty else { return [] }
        guard let ranges = quoted(bytes, open: UInt8(ascii: "["), close: UInt8(ascii: "]"), pairs: false) else {
            return GroupIdsCoding.decode(String(decoding: bytes, as: UTF8.self))
        }
        return ranges.map { interner.text(UnsafeBufferPointer(rebasing: bytes[$0])) }
    }

    /// A third-party map, as `ThirdPartyCoding.decode` reads it; equal keys share one string.
    static func thirdParty(_ bytes: UnsafeBufferPointer<UInt8>, interning interner: TextInterner) -> [String: String] {
        guard !bytes.isEmpty else { return [:] }
        guard let ranges = quoted(bytes, open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), pairs: true) else {
            return ThirdPartyCoding.decode(String(decoding: bytes, as: UTF8.self))
        }
        var map: [String: String] = [:]
        map.reserveCapacity(ranges.count / 2)
        for index in stride(from: 0, to: ranges.count, by: 2) {
            map[interner.text(UnsafeBufferPointer(rebasing: bytes[ranges[index]]))] = String(decoding: UnsafeBufferPointer(rebasing: bytes[ranges[index + 1]]), as: UTF8.self)
        }
        return map
    }
}

/// Lossless storage of a dataset row's group ids: a JSON array of strings (an id may hold ';'),
/// empty for none. Stores written before read back as ';'-separated text.
enum GroupIdsCoding {
    static func encode(_ ids: [String]) -> String {
        var bytes: [UInt8] = []
        encode(ids, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the text `encode` gives, as UTF-8 (a row's digest is made of these bytes).
    static func encode(_ ids: [String], into bytes: inout [UInt8]) {
        guard !ids.isEmpty else { return }
        // Fast path (a million rows): ids without quotes, backslashes or control characters.
        if ids.allSatisfy({ !needsEscaping($0, slash: false) }) {
            bytes.append(contentsOf: "[\"".utf8)
            for (index, id) in ids.enumerated() {
                if index > 0 { bytes.append(contentsOf: "\",\"".utf8) }
                bytes.append(contentsOf: id.utf8)
            }
            bytes.append(contentsOf: "\"]".utf8)
        } else if let data = try? JSONSerialization.data(withJSONObject: ids) {
            bytes.append(contentsOf: data)
        }
    }

    static func decode(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        guard text.hasPrefix("[") else { return text.split(separator: ";").map(String.init) }
        if text.hasPrefix("[\""), text.hasSuffix("\"]"), !text.utf8.contains(0x5C) {
            // Fast path (a million rows): no escapes, so every quote is a delimiter and the ids are
            // every other piece between quotes (`["a","b"]` → `[`, a, `,`, b, `]`), split as bytes.
            let pieces = text.utf8.split(separator: UInt8(ascii: "\""), omittingEmptySubsequences: false)
            return stride(from: 1, to: pieces.count - 1, by: 2).map { String(Substring(pieces[$0])) }
        }
        if let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] { return list }
        return text.split(separator: ";").map(String.init)
    }
}

/// Compact storage of `thirdParty` maps: empty stays empty, otherwise sorted JSON.
/// Written and read by hand when no text needs escaping (a DN, a GUID): Foundation's
/// JSONSerialization was a fifth of a 1,000,000-user directory run. The text is the same as
/// JSONSerialization's (which escapes `/`, so such text takes the general path).
enum ThirdPartyCoding {
    static func encode(_ map: [String: String]) -> String {
        var bytes: [UInt8] = []
        encode(map, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the text `encode` gives, as UTF-8 (a row's digest is made of these bytes).
    static func encode(_ map: [String: String], into bytes: inout [UInt8]) {
        guard !map.isEmpty else { return }
        if map.count == 1, let (system, id) = map.first, isPlain(system), isPlain(id) {
            // The usual map: one key (`ldapDN`), nothing to sort.
            append(system, id, first: true, into: &bytes)
            bytes.append(UInt8(ascii: "}"))
        } else if map.allSatisfy({ isPlain($0.key) && isPlain($0.value) }) {
            for (index, (system, id)) in map.sorted(by: { $0.key < $1.key }).enumerated() {
                append(system, id, first: index == 0, into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        } else if let data = try? JSONSerialization.data(withJSONObject: map, options: [.sortedKeys]) {
            bytes.append(contentsOf: data)
        }
    }

    /// `{"system":"id"` for the first pair, `,"system":"id"` for the others.
    private static func append(_ system: String, _ id: String, first: Bool, into bytes: inout [UInt8]) {
        bytes.append(contentsOf: (first ? "{\"" : ",\"").utf8)
        bytes.append(contentsOf: system.utf8)
        bytes.append(contentsOf: "\":\"".utf8)
        bytes.append(contentsOf: id.utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    static func decode(_ text: String) -> [String: String] {
        guard !text.isEmpty else { return [:] }
        if text.hasPrefix("{\""), text.hasSuffix("\"}"), !text.utf8.contains(0x5C) {
            // No escapes: every quote is a delimiter, so `{"k":"v","k2":"v2"}` splits into
            // `{`, k, `:`, v, `,`, k2, `:`, v2, `}`: keys and values alternate at the odd pieces.
            let pieces = text.utf8.split(separator: UInt8(ascii: "\""), omittingEmptySubsequences: false)
            var map: [String: String] = [:]
            for index in stride(from: 1, to: pieces.count - 3, by: 4) {
                map[String(Substring(pieces[index]))] = String(Substring(pieces[index + 2]))
            }
            return map
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] else { return [:] }
        return object
    }

    /// Text JSON writes as it is: no control character, quote, backslash or slash.
    private static func isPlain(_ text: String) -> Bool {
        !needsEscaping(text, slash: true)
    }
}

/// Whether JSON text would escape a byte of `text`: a control character, a quote, a backslash,
/// or (with `slash`, as JSONSerialization does) a slash. Reads the bytes in place: this is asked
/// of every row of a million-row dataset.
func needsEscaping(_ text: String, slash: Bool) -> Bool {
    func check(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x22 || byte == 0x5C || (slash && byte == 0x2F) }
    return text.utf8.withContiguousStorageIfAvailable { $0.contains(where: check) } ?? text.utf8.contains(where: check)
}
