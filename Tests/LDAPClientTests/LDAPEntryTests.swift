import LDAPClient
import Testing

/// The compact entry (every value in one buffer) answers as the list of attributes it was made from.
struct LDAPEntryTests {
    let entry = LDAPEntry(dn: "uid=a,dc=x", attributes: [
        ("objectClass", [Array("top".utf8), Array("inetOrgPerson".utf8)]),
        ("cn", [Array("Ann".utf8)]),
        ("jpegPhoto", [[0xFF, 0xD8, 0x00]]),
        ("description", [[]]),
        ("CN", [Array("Anna".utf8)]),  // the same attribute again, in other case: merged
    ])

    @Test func valuesComeBackByNameInAnyCase() {
        #expect(entry.names == ["objectClass", "cn", "jpegPhoto", "description"])
        #expect(entry.strings("Cn") == ["Ann", "Anna"])
        #expect(entry.string("cn") == "Ann")
        #expect(entry.bytes("jpegphoto") == [[0xFF, 0xD8, 0x00]])
        #expect(entry.strings("jpegPhoto").isEmpty)  // not UTF-8: left out of the text
        #expect(entry.bytes("description") == [[]])
        #expect(entry.bytes("mail").isEmpty)
        #expect(entry.firstValue("mail") == nil)
        #expect(entry.firstValue("CN").map(Array.init) == Array("Ann".utf8))
        #expect(entry.firstValue("description")?.isEmpty == true)
        #expect(entry.attributes.map(\.name) == ["objectClass", "cn", "jpegPhoto", "description"])
        #expect(entry.attributes[1].values == [Array("Ann".utf8), Array("Anna".utf8)])
    }

    @Test func settingTheAttributesReplacesEveryValue() {
        var changed = entry
        changed.attributes = [("member", [Array("uid=b,dc=x".utf8)])]
        #expect(changed.names == ["member"])
        #expect(changed.strings("member") == ["uid=b,dc=x"])
        #expect(changed.bytes("cn").isEmpty)
        #expect(entry.strings("cn") == ["Ann", "Anna"])  // a value type: the original is unchanged
    }
}
