import Foundation
import LDAPClient
import SlapdFixture
import Testing

@Suite("TLS against a real slapd with a CA made by the test", .serialized)
final class TLSTests {
    let slapd: Slapd

    init() throws {
        slapd = try Slapd(ldif: sampleDirectory(people: 3) + """
            dn: ou=Secret,dc=example,dc=com
            objectClass: organizationalUnit
            ou: Secret


            """, tls: true)
    }

    func bindAsAdmin(_ options: LDAPConnectionOptions) throws -> LDAPConnection {
        let ldap = try LDAPConnection(options)
        try ldap.bind(.simple(dn: slapd.adminDN, password: slapd.adminPassword))
        return ldap
    }

    @Test func ldapsVerifiesWithTheRightCA() throws {
        let ldap = try bindAsAdmin(LDAPConnectionOptions(uris: [slapd.tlsURI], tls: TLSOptions(caFile: slapd.caFile), networkTimeout: 5))
        #expect(ldap.isEncrypted)
        #expect(try ldap.searchAll(base: "ou=People,\(slapd.suffix)", filter: "(uid=*)").count == 3)
        let certificate = try #require(ldap.peerCertificate)
        #expect(certificate.subject == "CN=127.0.0.1")
        #expect(certificate.issuer == "CN=account-sync test CA")
        #expect(certificate.notAfter.hasSuffix(" UTC") && certificate.notAfter.count == 23)
        #expect(ldap.tlsSession?.version.hasPrefix("TLS") == true)
    }

    @Test func ldapsFailsVerificationWithoutTheCA() throws {
        #expect {
            try self.bindAsAdmin(LDAPConnectionOptions(uris: [self.slapd.tlsURI], networkTimeout: 5))
        } throws: { error in
            guard let error = error as? LDAPError else { return false }
            return error.kind == .tlsFailed && error.message.contains("could not be verified with the system's trusted CAs")
                && error.message.contains("The server presented CN=127.0.0.1, issued by CN=account-sync test CA")
        }
    }

    @Test func startTLSUpgradesPlainLDAPSoASimpleBindIsAllowed() throws {
        let ldap = try bindAsAdmin(LDAPConnectionOptions(uris: [slapd.uri], startTLS: true, tls: TLSOptions(caFile: slapd.caFile), networkTimeout: 5))
        #expect(ldap.isEncrypted)
    }

    @Test func startTLSFailsVerificationWithoutTheCA() throws {
        #expect {
            try self.bindAsAdmin(LDAPConnectionOptions(uris: [self.slapd.uri], startTLS: true, networkTimeout: 5))
        } throws: { ($0 as? LDAPError)?.kind == .tlsFailed && ($0 as? LDAPError)?.message.contains("TLS handshake") == true }
    }

    @Test func verificationCanBeTurnedOffOnlyExplicitly() throws {
        let ldap = try bindAsAdmin(LDAPConnectionOptions(uris: [slapd.tlsURI], tls: TLSOptions(verifyCertificate: false), networkTimeout: 5))
        #expect(ldap.isEncrypted)
    }

    @Test func saslExternalBindsAsTheClientCertificatesIdentity() throws {
        let client = try #require(slapd.clientCertificate)
        let secret = "ou=Secret,\(slapd.suffix)"
        let options = LDAPConnectionOptions(
            uris: [slapd.tlsURI], tls: TLSOptions(caFile: slapd.caFile, certificateFile: client.certificate, keyFile: client.key), networkTimeout: 5)
        let external = try LDAPConnection(options)
        try external.bind(.saslExternal)
        // Only cn=reader may read ou=Secret: seeing it proves the certificate's identity was used.
        #expect(try external.searchAll(base: secret, scope: .base).count == 1)

        let anonymous = try LDAPConnection(options)
        try anonymous.bind(.anonymous)
        #expect((try? anonymous.searchAll(base: secret, scope: .base))?.isEmpty ?? true)
    }
}
