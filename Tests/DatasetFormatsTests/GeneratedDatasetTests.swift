import Foundation
import SlapdFixture
import SyncCore
import Testing
@testable import DatasetFormats

/// Generated inputs for the dataset readers: well-formed files of hostile values must read back
/// exactly as written; damaged files must be refused with a `file:line` message. Neither may crash
/// or hang (a case over 2 s fails).
@Suite("Generated dataset files")
struct GeneratedDatasetTests {
    /// A value of hostile characters, without NUL or U+FEFF (which are refused on purpose).
    static func value(_ generator: inout SplitMix64, length: Int = 12) -> String {
        GeneratedInputs.text(&generator, from: GeneratedInputs.hostile, length: length)
    }

    static func users(_ generator: inout SplitMix64, groupIdsWithSemicolons: Bool) -> [UserRow] {
        (0..<Int.random(in: 0...6, using: &generator)).map { _ in
            var groups: [String] = []
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                var id = value(&generator, length: 6).trimmingCharacters(in: .whitespaces)
                if !groupIdsWithSemicolons { id = id.replacingOccurrences(of: ";", with: "") }
                if !id.isEmpty && !id.contains(where: \.isNewline) { groups.append(id) }
            }
            var thirdParty: [String: String] = [:]
            if Bool.random(using: &generator) { thirdParty["ldapDN"] = value(&generator) }
            thirdParty = thirdParty.filter { !$0.value.isEmpty }
            return UserRow(
                account: value(&generator), name: value(&generator), email: value(&generator), mobile: value(&generator),
                accountType: value(&generator), groupIds: groups, disabled: Bool.random(using: &generator),
                externalId: value(&generator), thirdParty: thirdParty)
        }
    }

    /// RFC 4180: every field quoted, quotes doubled.
    static func csv(_ rows: [UserRow]) -> String {
        func field(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var out = "account,name,email,mobile,accountType,groupIds,disabled,externalId,thirdParty.ldapDN\r\n"
        for row in rows {
            out += [row.account, row.name, row.email, row.mobile, row.accountType, row.groupIds.joined(separator: ";"),
                row.disabled ? "true" : "false", row.externalId, row.thirdParty["ldapDN"] ?? ""].map(field).joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// What the reader makes of a row: blank lines are skipped, so a row whose every field is
    /// empty cannot come back; group ids are trimmed and empty ones dropped.
    static func normalized(_ rows: [UserRow]) -> [UserRow] {
        rows.map { row in
            var row = row
            row.groupIds = row.groupIds.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return row
        }
    }

    @Test func wellFormedJSONLinesReadBackExactly() throws {
        let cases = try GeneratedInputs.run(onSlow: { seed, took in Issue.record("seed \(seed) took \(took) s") }) { generator, seed in
            let rows = Self.users(&generator, groupIdsWithSemicolons: true)
            let text = JSONLinesWriter.lines(rows)
            let read = try DatasetReader(kind: .users).read(bytes: Array(text.utf8), file: "gen.jsonl", format: .jsonLines)
            #expect(read == .users(Self.normalized(rows)), "seed \(seed)")
        }
        #expect(cases > 100)
    }

    @Test func wellFormedCSVReadsBackExactly() throws {
        let cases = try GeneratedInputs.run(onSlow: { seed, took in Issue.record("seed \(seed) took \(took) s") }) { generator, seed in
            let rows = Self.users(&generator, groupIdsWithSemicolons: false)
            let read = try DatasetReader(kind: .users).read(bytes: Array(Self.csv(rows).utf8), file: "gen.csv", format: .csv)
            #expect(read == .users(Self.normalized(rows)), "seed \(seed)")
        }
        #expect(cases > 100)
    }

    @Test(arguments: [DatasetFormat.csv, .jsonLines])
    func damagedFilesAreRefusedWithALineNeverACrash(format: DatasetFormat) throws {
        GeneratedInputs.run(onSlow: { seed, took in Issue.record("seed \(seed) took \(took) s") }) { generator, seed in
            let rows = Self.users(&generator, groupIdsWithSemicolons: format == .jsonLines)
            var bytes = Array((format == .csv ? Self.csv(rows) : JSONLinesWriter.lines(rows)).utf8)
            // Damage: flip, insert and delete bytes (NUL, quotes, braces, high bytes included).
            let damage: [UInt8] = [0, 0x22, 0x2C, 0x0A, 0x7B, 0x7D, 0x5C, 0xEF, 0xBB, 0xBF, 0xFF, 0xC3]
            GeneratedInputs.damage(&bytes, with: damage, &generator)
            do throws(DatasetFileError) {
                _ = try DatasetReader(kind: .users).read(bytes: bytes, file: "damaged", format: format)
            } catch {
                #expect(error.file == "damaged", "seed \(seed)")
                #expect(!error.message.isEmpty, "seed \(seed)")
            }
        }
    }
}
