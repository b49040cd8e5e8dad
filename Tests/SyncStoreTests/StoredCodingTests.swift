import Foundation
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

    @Test func groupIdsReadBackAsWritten() {
        for ids in [[], ["eng"], ["ou-1", "grp-2", ""], ["with \"quote\"", "back\\slash"]] {
            #expect(GroupIdsCoding.decode(GroupIdsCoding.encode(ids)) == ids)
        }
    }
}
