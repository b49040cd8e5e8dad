import CLDAP

/// The parts of an LDAP URL (RFC 4516) a pull needs: which DN a referral points at.
public enum LDAPURL {
    /// The DN of `ldap://host/DN??sub`, unescaped; nil when the URL cannot be parsed.
    public static func dn(of url: String) -> String? {
        var description: UnsafeMutablePointer<LDAPURLDesc>?
        guard ldap_url_parse(url, &description) == LDAP_URL_SUCCESS, let description else { return nil }
        defer { ldap_free_urldesc(description) }
        return description.pointee.lud_dn.map { String(cString: $0) }
    }
}
