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
