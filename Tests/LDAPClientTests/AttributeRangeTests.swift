import LDAPClient
import Testing

@Suite("AD ranged attribute retrieval")
struct AttributeRangeTests {
    @Test func aMiddleRangeAsksForTheNextChunk() throws {
        let range = try #require(AttributeRange("member;range=0-1499"))
        #expect(range.attribute == "member")
        #expect(range.start == 0 && range.end == 1499)
        #expect(range.next == "member;range=1500-*")
    }

    @Test func theLastRangeEndsInAStar() throws {
        let range = try #require(AttributeRange("member;range=3000-*"))
        #expect(range.end == nil)
        #expect(range.next == nil)
    }

    @Test func otherOptionsStayPartOfTheName() throws {
        #expect(AttributeRange("member;binary;range=0-9")?.attribute == "member;binary")
    }

    @Test(arguments: ["member", "member;binary", "member;range=", "member;range=a-b", "member;range=10-5", "cn;lang-de"])
    func plainOrMalformedNamesAreNotRanges(name: String) {
        #expect(AttributeRange(name) == nil)
    }
}
