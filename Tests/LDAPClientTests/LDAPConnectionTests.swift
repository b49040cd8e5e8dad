import Foundation
import LDAPClient
import SlapdFixture
import Testing

@Suite("LDAP against a real slapd", .serialized)
final class LDAPConnectionTests {
    let slapd: Slapd

    init() throws {
        slapd = try Slapd(ldif: sampleDirectory(people: 300))
    }

    func connection(_ uris: [String]? = nil, allowInsecureBind: Bool = true) throws -> LDAPConnection {
        try LDAPConnection(LDAPConnectionOptions(uris: uris ?? [slapd.uri], allowInsecureBind: allowInsecureBind, networkTimeout: 3, operationTimeout: 30))
    }

    @Test func oneURIStringHoldingTwoIsRefusedAndEncryptionIsReadFromTheLiveConnection() throws {
        #expect {
            try self.connection(["ldaps://127.0.0.1:1,\(self.slapd.uri)"])
        } throws: { ($0 as? LDAPError)?.message.contains("holds more than one URI") == true }
        // A failover from an ldaps:// URI that is down to a plain one: the session is not
        // encrypted, whatever the config's first URI says, so the password is not sent.
        let failover = try connection(["ldaps://127.0.0.1:\(try Slapd.freePort())", slapd.uri], allowInsecureBind: false)
        #expect(throws: LDAPError.self) { try failover.bind(.simple(dn: self.slapd.adminDN, password: self.slapd.adminPassword)) }
        #expect(!failover.isEncrypted)
    }

    @Test func aStalledServerCannotHoldAConnectPastItsBudget() throws {
        let server = try FakeLDAPServer(.stall)
        let started = Date()
        #expect {
            try LDAPConnection(LDAPConnectionOptions(uris: [server.tlsURI], networkTimeout: 1)).connect()
        } throws: { ($0 as? LDAPError)?.kind == .timeout }
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func rootDSEAdvertisesPagedResultsAndTheNamingContext() throws {
        let root = try connection().rootDSE()
        #expect(root.strings("namingContexts") == [slapd.suffix])
        #expect(root.strings("supportedControl").contains("1.2.840.113556.1.4.319"))
    }

    @Test func pagedSearchReturnsEveryEntryAcrossManyPages() throws {
        let ldap = try connection()
        try ldap.bind(.simple(dn: slapd.adminDN, password: slapd.adminPassword))
        let people = try ldap.searchAll(base: "ou=People,\(slapd.suffix)", filter: "(objectClass=inetOrgPerson)", attributes: ["uid", "mail"], pageSize: 7)
        #expect(people.count == 300)
        #expect(Set(people.compactMap { $0.string("uid") }).count == 300)
        #expect(people.first?.strings("mail").count == 1)
        #expect(people.first?.bytes("cn").isEmpty == true)
    }

    /// Reading ahead on another thread hands over the same entries, in the same order, with
    /// every value; a failing body stops the reading and its own error comes back; a failing
    /// search comes back after the entries before it.
    @Test func readingAheadGivesTheSameEntriesAndStopsOnAFailure() throws {
        let ldap = try connection()
        try ldap.bind(.simple(dn: slapd.adminDN, password: slapd.adminPassword))
        let base = "ou=People,\(slapd.suffix)"
        let plain = try ldap.searchAll(base: base, filter: "(objectClass=inetOrgPerson)", attributes: ["uid", "mail", "objectClass"], pageSize: 7)
        var ahead: [LDAPEntry] = []
        let count = try ldap.searchReadingAhead(base: base, filter: "(objectClass=inetOrgPerson)", attributes: ["uid", "mail", "objectClass"], pageSize: 7) { ahead.append($0) }
        #expect(count == 300)
        #expect(ahead.map(\.dn) == plain.map(\.dn))
        #expect(ahead.map { $0.strings("objectClass") } == plain.map { $0.strings("objectClass") })
        #expect(ahead.map { $0.string("mail") } == plain.map { $0.string("mail") })

        struct Stop: Error {}
        var seen = 0
        #expect(throws: Stop.self) {
            try ldap.searchReadingAhead(base: base, filter: "(objectClass=inetOrgPerson)", attributes: ["uid"], pageSize: 7) { _ in
                seen += 1
                if seen == 10 { throw Stop() }
            }
        }
        #expect(seen == 10)
        // The connection is free again once the reading stopped.
        #expect(try ldap.searchAll(base: slapd.suffix, filter: LDAPFilter.equals("uid", "user1")).count == 1)

        let reader = try connection()
        try reader.bind(.simple(dn: slapd.readerDN, password: slapd.readerPassword))
        seen = 0
        #expect {
            try reader.searchReadingAhead(base: self.slapd.suffix, filter: "(objectClass=inetOrgPerson)", attributes: ["uid"], pageSize: 30) { _ in seen += 1 }
        } throws: { ($0 as? LDAPError)?.kind == .sizeLimitExceeded }
        #expect(seen > 0 && seen < 300)
    }

    /// A search's entries share their attribute names with the entry before them while they are
    /// the same; an entry with fewer attributes, other ones, another order or an attribute in two
    /// places still has exactly its own (as the same entry read alone, with no entry before it).
    @Test func eachEntryHasExactlyItsOwnAttributeNames() throws {
        func person(_ uid: String, _ lines: [String]) -> String {
            "dn: uid=\(uid),ou=People,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: \(uid)\n" + lines.joined(separator: "\n") + "\n\n"
        }
        let server = try Slapd(ldif: "dn: ou=People,dc=example,dc=com\nobjectClass: organizationalUnit\nou: People\n\n"
            + person("full", ["cn: Full", "sn: F", "mail: full@example.com", "mobile: +1 555 0100"])
            + person("nomobile", ["cn: No Mobile", "sn: N", "mail: nomobile@example.com"])
            + person("full2", ["cn: Full Two", "sn: F", "mail: full2@example.com", "mobile: +1 555 0102"])
            + person("reordered", ["sn: R", "cn: Reordered", "mobile: +1 555 0103"])
            + person("twice", ["mail: one@example.com", "cn: Twice", "mail: two@example.com", "sn: T"])
            + person("short", ["cn: Short", "sn: S"]))
        let ldap = try LDAPConnection(LDAPConnectionOptions(uris: [server.uri], allowInsecureBind: true, networkTimeout: 3, operationTimeout: 30))
        try ldap.bind(.simple(dn: server.adminDN, password: server.adminPassword))
        for readingAhead in [false, true] {
            var entries: [LDAPEntry] = []
            if readingAhead {
                try ldap.searchReadingAhead(base: server.suffix, pageSize: 3) { entries.append($0) }
            } else {
                entries = try ldap.searchAll(base: server.suffix, pageSize: 3)
            }
            #expect(entries.count >= 8)
            for entry in entries {
                let alone = try #require(try ldap.searchAll(base: entry.dn, scope: .base).first)
                #expect(entry.names == alone.names, "\(entry.dn)")
                #expect(entry.names.map { entry.bytes($0) } == alone.names.map { alone.bytes($0) }, "\(entry.dn)")
                #expect(entry.names.allSatisfy { !entry.bytes($0).isEmpty }, "\(entry.dn)")
            }
            let byUID = Dictionary(entries.compactMap { entry in entry.string("uid").map { ($0, entry) } }, uniquingKeysWith: { first, _ in first })
            #expect(byUID["nomobile"]?.names == ["objectClass", "uid", "cn", "sn", "mail"])
            #expect(byUID["short"]?.names == ["objectClass", "uid", "cn", "sn"])
            #expect(byUID["twice"]?.strings("mail") == ["one@example.com", "two@example.com"])
            #expect(byUID["reordered"]?.string("mobile") == "+1 555 0103")
        }
    }

    @Test func sizeLimitForANonAdminBindIsAnErrorNotAShortResult() throws {
        let ldap = try connection()
        try ldap.bind(.simple(dn: slapd.readerDN, password: slapd.readerPassword))
        var seen = 0
        do {
            try ldap.search(base: slapd.suffix, filter: "(objectClass=inetOrgPerson)", attributes: ["uid"], pageSize: 30) { _ in seen += 1 }
            Issue.record("a search over the size limit returned normally after \(seen) entries")
        } catch let error as LDAPError {
            #expect(error.kind == .sizeLimitExceeded)
            #expect(error.description.contains("incomplete"))
        }
    }

    @Test func simpleBindOverPlainLDAPIsRefusedUnlessAllowed() throws {
        let ldap = try connection(allowInsecureBind: false)
        #expect {
            try ldap.bind(.simple(dn: slapd.adminDN, password: slapd.adminPassword))
        } throws: { ($0 as? LDAPError)?.kind == .insecureBindRefused }
        try ldap.bind(.anonymous)
    }

    @Test func wrongPasswordIsInvalidCredentials() throws {
        #expect {
            try self.connection().bind(.simple(dn: self.slapd.adminDN, password: "wrong"))
        } throws: { ($0 as? LDAPError)?.kind == .invalidCredentials }
    }

    @Test func missingBaseIsNoSuchObject() throws {
        let ldap = try connection()
        try ldap.bind(.simple(dn: slapd.adminDN, password: slapd.adminPassword))
        #expect {
            try ldap.searchAll(base: "ou=Nowhere,\(self.slapd.suffix)")
        } throws: { ($0 as? LDAPError)?.kind == .noSuchObject }
    }

    @Test func closedPortFailsToConnectAndTheNextURIIsTried() throws {
        let closed = "ldap://127.0.0.1:\(try Slapd.freePort())"
        #expect {
            try self.connection([closed]).bind(.anonymous)
        } throws: { [.serverDown, .connectFailed].contains(($0 as? LDAPError)?.kind) }
        let failover = try connection([closed, slapd.uri])
        try failover.bind(.simple(dn: slapd.adminDN, password: slapd.adminPassword))
        #expect(try failover.searchAll(base: slapd.suffix, scope: .base).count == 1)
    }

    @Test func escapedCommasAndUTF8InDNsRoundTrip() throws {
        let ldap = try connection()
        try ldap.bind(.simple(dn: slapd.adminDN, password: slapd.adminPassword))
        let units = try ldap.searchAll(base: "ou=People,\(slapd.suffix)", scope: .oneLevel, filter: "(objectClass=organizationalUnit)")
        let names = Set(try units.map { try DistinguishedName($0.dn).leafValue ?? "" })
        #expect(names == ["Sales, EMEA", "Forschung Zürich"])
        let sales = try DistinguishedName("OU=sales\\, emea , ou=PEOPLE,DC=example,DC=com")
        #expect(try units.contains { try DistinguishedName($0.dn) == sales })
    }

    @Test func filterValuesAreEscaped() throws {
        let ldap = try connection()
        try ldap.bind(.simple(dn: slapd.adminDN, password: slapd.adminPassword))
        #expect(try ldap.searchAll(base: slapd.suffix, filter: LDAPFilter.equals("uid", "*")).isEmpty)
        #expect(try ldap.searchAll(base: slapd.suffix, filter: LDAPFilter.equals("uid", "user1)(uid=*")).isEmpty)
        #expect(try ldap.searchAll(base: slapd.suffix, filter: LDAPFilter.equals("uid", "user1")).count == 1)
    }

    @Test func aServerThatDiesMidPullIsAnErrorNotAShortResult() throws {
        let ldap = try connection()
        try ldap.bind(.simple(dn: slapd.adminDN, password: slapd.adminPassword))
        var seen = 0
        do {
            try ldap.search(base: slapd.suffix, filter: "(objectClass=inetOrgPerson)", attributes: ["uid"], pageSize: 20) { _ in
                seen += 1
                if seen == 30 { self.slapd.crash() }
            }
            Issue.record("the search returned normally after \(seen) entries")
        } catch let error as LDAPError {
            #expect(error.kind == .serverDown || error.kind == .connectFailed, "\(error)")
            #expect(error.description.contains("incomplete"))
        }
        #expect(seen < 300)
    }
}
