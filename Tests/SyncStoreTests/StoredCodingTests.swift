import Crypto
import Foundation
import SyncCore
@testable import SyncStore
import Testing

/// The hand-written JSON of stored `thirdParty` maps and group id lists reads back what was
/// written, writes what JSONSerialization wrote before it, and falls back for text with escapes.
@Suite struct StoredCodingTests {
    static let maps: [[String: String]] = [
        [:],
        ["ldapDN": "uid=ann,ou=People,dc=example,dc=com"],
        ["ldapDN": "cn=Müller,ou=Zürich,dc=example,dc=com", "hr": "4711", "a": ""],
        ["ldapDN": "cn=Smith\\, John,ou=People,dc=example,dc=com"],
        ["ldapDN": "cn=\"quoted\",dc=example", "web": "https://example.com/u/1"],
        ["tab": "a\tb", "newline": "x\ny"],
    ]

    @Test(arguments: maps) func aThirdPartyMapReadsBackAsWritten(_ map: [String: String]) throws {
        let text = ThirdPartyCoding.encode(map)
        #expect(ThirdPartyCoding.decode(text) == map)
        if map.isEmpty {
            #expect(text == "")
        } else {
            let foundation = try JSONSerialization.data(withJSONObject: map, options: [.sortedKeys])
            #expect(text == String(decoding: foundation, as: UTF8.self))
        }
    }

    @Test func earlierStoredTextStillReads() {
        #expect(ThirdPartyCoding.decode(#"{"ldapDN":"cn=a\/b,dc=x"}"#) == ["ldapDN": "cn=a/b,dc=x"])
        #expect(ThirdPartyCoding.decode(#"{"a":"1","b":"2"}"#) == ["a": "1", "b": "2"])
        #expect(ThirdPartyCoding.decode("not json") == [:])
    }

    /// Decoding a stored text from SQLite's bytes gives what decoding it as a string gives, for the
    /// texts the store writes and for those it reads from earlier versions; equal ids are one string.
    @Test func storedTextsReadFromBytesAsFromStrings() {
        let lists: [[String]] = [[], ["eng"], ["ou-1", "grp-2", "ou-1"], [""], ["a;b", "Zürich"], ["x\"y"], ["back\\slash"], ["a/b"]]
        var groupTexts = lists.map(GroupIdsCoding.encode) + ["eng;sales", #"["a", "b"]"#, #"["a","#, "[]", #"["a""b"]"#]
        groupTexts.append(#"["only"]"#)
        var mapTexts = Self.maps.map(ThirdPartyCoding.encode) + [#"{"ldapDN":"cn=a\/b,dc=x"}"#, #"{"a":"1","b":"2"}"#, "not json", #"{"a":"1"}"#]
        mapTexts += [#"{"a":"1","b"}"#, #"{"a","b":"2"}"#, #"{"a":"1" ,"b":"2"}"#, #"{"":""}"#]
        let interner = TextInterner()
        for text in groupTexts {
            var copy = text
            let ids = copy.withUTF8 { StoredJSON.groupIds($0, interning: interner) }
            #expect(ids == GroupIdsCoding.decode(text), "\(text)")
        }
        for text in mapTexts {
            var copy = text
            let map = copy.withUTF8 { StoredJSON.thirdParty($0, interning: interner) }
            #expect(map == ThirdPartyCoding.decode(text), "\(text)")
        }
        var first = #"["group-with-a-long-identifier-0001"]"#
        var second = #"["other","group-with-a-long-identifier-0001"]"#
        let a = first.withUTF8 { StoredJSON.groupIds($0, interning: interner) }[0]
        let b = second.withUTF8 { StoredJSON.groupIds($0, interning: interner) }[1]
        #expect(a == b)
        var (left, right) = (a, b)
        #expect(left.withUTF8 { $0.baseAddress } == right.withUTF8 { $0.baseAddress })  // one buffer
    }

    /// A row's digest is the first 8 bytes of the SHA-256 of its column texts as stored, each
    /// length-prefixed: what stores written by earlier versions hold, so that they still settle.
    @Test func aRowsDigestIsThatOfItsStoredTexts() {
        func reference(_ texts: [String]) -> Int64 {
            var bytes: [UInt8] = []
            for text in texts {
                withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
                bytes.append(contentsOf: text.utf8)
            }
            return SHA256.hash(data: bytes).withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
        }
        var digest = RowDigest()
        for (index, map) in Self.maps.enumerated() {
            let ids = [[], ["eng"], ["ou-1", "grp-2", ""], ["with \"quote\"", "back\\slash"]][index % 4]
            let user = UserRow(account: "ann\(index)", name: "Ann Ärger", email: "", mobile: "+86 1", accountType: "Regular User", groupIds: ids, disabled: index % 2 == 0, externalId: "g-\(index)", thirdParty: map)
            #expect(digest.of(user) == reference([
                user.account, user.name, user.email, user.mobile, user.accountType, GroupIdsCoding.encode(ids), user.disabled ? "1" : "0", user.externalId,
                ThirdPartyCoding.encode(map),
            ]))
            let group = GroupRow(groupId: "g\(index)", name: "Sales", parentGroupId: "", externalId: "x", thirdParty: map)
            #expect(digest.of(group) == reference([group.groupId, group.name, group.parentGroupId, group.externalId, ThirdPartyCoding.encode(map)]))
        }
    }

    @Test func groupIdsReadBackAsWritten() {
        for ids in [[], ["eng"], ["ou-1", "grp-2", ""], ["with \"quote\"", "back\\slash"]] {
            #expect(GroupIdsCoding.decode(GroupIdsCoding.encode(ids)) == ids)
        }
    }
}
