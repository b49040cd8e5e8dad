import LDAPClient
import Testing

@Suite("RFC 4514 DNs, RFC 4515 filters, AD sub-codes")
struct DistinguishedNameTests {
    @Test func escapesAndHexPairsAreUnescaped() throws {
        let dn = try DistinguishedName("CN=Smith\\, John,OU=R\\C3\\A9seau,DC=example,DC=com")
        #expect(dn.rdns.count == 4)
        #expect(dn.leafValue == "Smith, John")
        #expect(dn.rdns[1].first?.value == "Réseau")
    }

    @Test(arguments: [
        ("cn=a,dc=example,dc=com", "CN=A, DC=Example,DC=COM"),
        ("ou=Sales\\2C EMEA,dc=x", "OU=sales\\, emea,DC=x"),
        ("ou=Sales+l=Paris,dc=x", "l=Paris+ou=Sales,dc=x"),
    ])
    func equalDNs(a: String, b: String) throws {
        #expect(try DistinguishedName(a) == DistinguishedName(b))
    }

    /// The pull's shortcut for plain DNs gives exactly the canonical form of a full parse, and
    /// DNs it does not know as plain still get parsed (or refused) as before.
    @Test(arguments: [
        "uid=user1,ou=Team 7,ou=Department 0-1,ou=Division 0,ou=Corp,dc=example,dc=com",
        "CN=John Smith,OU=Sales,DC=Example,DC=COM", "cn=a.b_c@d-e,dc=x", "uid=42,dc=x", "cn=-x,dc=x",
        "CN=A, DC=Example", "cn= a,dc=x", "cn=a ,dc=x", "cn =a,dc=x", "CN=Smith\\, John,DC=x", "ou=Sales+l=Paris,dc=x",
        "cn=#41,dc=x", "cn=R\\C3\\A9seau,dc=x", "cn=Müller,dc=x", "2.5.4.3=a,dc=x", "cn=\"Smith, John\",dc=x", "cn=a;dc=x",
    ])
    func plainDNsNormaliseAsAFullParseDoes(text: String) throws {
        let normalized = try DistinguishedName(lenient: text).normalized
        #expect(try DistinguishedName.normalizedText(lenient: text) == normalized)
        // The pull's digest of a plain DN, made without normalizing it, is the normalized text's.
        if let digest = DistinguishedName.normalizedDigest(ofPlain: text) {
            #expect(digest == DistinguishedName.digest(ofNormalized: normalized))
        }
    }

    @Test func plainDNsHaveADigestAndOthersLeaveItToANormalization() {
        #expect(DistinguishedName.normalizedDigest(ofPlain: "CN=John Smith,OU=Sales,DC=Example,DC=COM") == DistinguishedName.digest(ofNormalized: "cn=john smith,ou=sales,dc=example,dc=com"))
        #expect(DistinguishedName.normalizedDigest(ofPlain: "uid=a,dc=x") != DistinguishedName.normalizedDigest(ofPlain: "uid=b,dc=x"))
        for text in ["CN=Smith\\, John,DC=x", "cn=Müller,dc=x", "CN=A, DC=Example", "cn=#41,dc=x"] {
            #expect(DistinguishedName.normalizedDigest(ofPlain: text) == nil, "\(text)")
        }
    }

    @Test(arguments: ["cn", "cn=a,", "=a", "cn=a,,dc=x", "cn=a\\"])
    func notADNIsStillRefusedByTheShortcut(text: String) {
        #expect(throws: DNParseError.self) { try DistinguishedName.normalizedText(lenient: text) }
    }

    @Test func differentDNsAreDifferent() throws {
        #expect(try DistinguishedName("cn=a,dc=x") != DistinguishedName("cn=b,dc=x"))
        #expect(try DistinguishedName("cn=a\\,b,dc=x") != DistinguishedName("cn=a,cn=b,dc=x"))
    }

    @Test func parentAndWithin() throws {
        let user = try DistinguishedName("uid=u,ou=People,dc=example,dc=com")
        let base = try DistinguishedName("DC=Example,DC=Com")
        #expect(user.isWithin(base))
        #expect(user.parent == (try DistinguishedName("ou=people,dc=example,dc=com")))
        #expect(!base.isWithin(user))
    }

    @Test func descriptionEscapesWhatItMust() {
        let dn = DistinguishedName(rdns: [[.init(type: "CN", value: " Smith, John+1 ")], [.init(type: "DC", value: "x")]])
        #expect(dn.description == "CN=\\ Smith\\, John\\+1\\ ,DC=x")
    }

    @Test(arguments: ["cn", "cn=a,", "=a", "cn=a\\", "cn=a\\zz", "cn=a<b", "cn=\"quoted\""])
    func malformedDNsAreRefused(text: String) {
        #expect(throws: DNParseError.self) { try DistinguishedName(text) }
    }

    @Test func anUnescapedEqualsSignIsValidRFC4514() throws {
        // RFC 4514's stringchar includes '=' (%x3D); slapd writes the same DN as ou=R\3DD.
        #expect(try DistinguishedName("uid=rnd1,ou=R=D,dc=example,dc=com") == DistinguishedName("uid=rnd1,ou=R\\3DD,dc=example,dc=com"))
    }

    @Test func memberValuesAreReadAsLenientlyAsTheServerReadsThem() throws {
        // LDAPv2 quoted values, as slapd accepts and matches them.
        let quoted = try DistinguishedName(lenient: "cn=\"John Smith, III\",ou=People,dc=example,dc=com")
        #expect(quoted == (try DistinguishedName("cn=John Smith\\, III,ou=People,dc=example,dc=com")))
        #expect(try DistinguishedName(lenient: "cn = \"a \\\" b\" , dc=x").rdns.first?.first?.value == "a \" b")
        #expect(throws: DNParseError.self) { try DistinguishedName(lenient: "cn=\"unclosed,dc=x") }
    }

    @Test(arguments: [
        ("uid=bob,ou=People,dc=example,dc=com#'0101'B", "uid=bob,ou=People,dc=example,dc=com"),
        ("uid=bob,dc=x#''B", "uid=bob,dc=x"),
        ("uid=bob,dc=x", "uid=bob,dc=x"),
        ("cn=a\\#'01'B", "cn=a\\#'01'B"),
        ("cn=a#'012'B", "cn=a#'012'B"),
    ])
    func theOptionalUIDOfAUniqueMemberIsStripped(value: String, dn: String) {
        #expect(DistinguishedName.withoutOptionalUID(value) == dn)
    }

    @Test func filterEscaping() {
        #expect(LDAPFilter.escape("a*b(c)d\\e\0") == "a\\2ab\\28c\\29d\\5ce\\00")
        #expect(LDAPFilter.escape("Zürich") == "Zürich")
        #expect(LDAPFilter.and([LDAPFilter.equals("uid", "*"), "(objectClass=person)"]) == "(&(uid=\\2a)(objectClass=person))")
    }

    @Test(arguments: [("52e", "wrong password"), ("775", "account locked out"), ("533", "account disabled"), ("773", "user must reset password")])
    func activeDirectoryBindSubcodes(code: String, meaning: String) {
        let diagnostic = "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data \(code), v4563"
        #expect(ActiveDirectory.bindSubcode(in: diagnostic)?.meaning == meaning)
    }
}
