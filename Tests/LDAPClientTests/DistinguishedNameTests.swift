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

    @Test(arguments: ["cn", "cn=a,", "=a", "cn=a\\", "cn=a\\zz", "cn=a=b", "cn=\"quoted\""])
    func malformedDNsAreRefused(text: String) {
        #expect(throws: DNParseError.self) { try DistinguishedName(text) }
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
