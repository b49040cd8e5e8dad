import LDAPClient

/// Where and how to pull people and org units from a directory: the `source:` section of the
/// config. A `profile` supplies working defaults, so a minimal config is a URI, a bind and a base.
public struct DirectorySettings: Sendable {
    public var profile: DirectoryProfile
    public var connection: LDAPConnectionOptions
    public var bindDN: String?
    /// Where the bind password comes from; nil with `bindDN` nil means an anonymous bind.
    public var password: SecretSource?
    public var saslExternal: Bool
    public var pageSize: Int
    public var users: UserSearch
    public var groups: GroupSearch
    /// What a pull does with referrals (parts of the tree held elsewhere): fail (the default) or skip.
    public var referrals: ReferralPolicy

    public init(
        profile: DirectoryProfile, connection: LDAPConnectionOptions, bindDN: String? = nil, password: SecretSource? = nil,
        saslExternal: Bool = false, pageSize: Int = 500, users: UserSearch, groups: GroupSearch, referrals: ReferralPolicy = .fail
    ) {
        self.referrals = referrals
        self.profile = profile
        self.connection = connection
        self.bindDN = bindDN
        self.password = password
        self.saslExternal = saslExternal
        self.pageSize = pageSize
        self.users = users
        self.groups = groups
    }
}

/// What a pull does with a referral: fail, because part of the tree was not read; or skip it and
/// report each one in the run's items.
public enum ReferralPolicy: String, Sendable, CaseIterable {
    case fail, skip
}

/// The config keys a secret's source is named by (for messages): the bind password's and the
/// agent's push token's.
public struct SecretKeyNames: Sendable {
    public var file: String
    public var environment: String
    public var credential: String
    /// What the secret is, in messages: "password", "token".
    public var secret: String

    public static let bindPassword = SecretKeyNames(
        file: "source.bind.passwordFile", environment: "source.bind.passwordEnv", credential: "source.bind.credential", secret: "password")
    public static let coreToken = SecretKeyNames(
        file: "core.token.file", environment: "core.token.env", credential: "core.token.credential", secret: "token")
}

/// Whether a secret source is what its key says (a variable name, a file path, a credential name),
/// so that a secret written there by mistake is refused without ever being repeated in a
/// message, a log or the history.
public enum SecretSourceCheck {
    /// The problem with the source, naming the key but never its value; nil when it is fine.
    public static func problem(_ source: SecretSource, keys: SecretKeyNames = .bindPassword) -> String? {
        let secret = keys.secret
        let hidden = "(the value is not shown, in case it is the \(secret) itself)"
        switch source {
        case .environment(let name):
            let valid = name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
                && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
            return valid ? nil : "\(keys.environment) must be the name of an environment variable (letters, digits and _) that holds the \(secret), not the \(secret) \(hidden)"
        case .file(let path):
            let valid = path.contains("/") && !path.contains(where: { $0.isWhitespace || $0.isNewline }) && !path.contains("\0")
            return valid ? nil : "\(keys.file) must be the path of the file that holds the \(secret), e.g. /etc/account-sync/bind.pw, not the \(secret) \(hidden)"
        case .credential(let name):
            let valid = !name.isEmpty && name.count <= 255 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-:@".contains($0)) }
            return valid ? nil : "\(keys.credential) must be the name of a systemd credential (LoadCredential=NAME:…), not the \(secret) \(hidden)"
        }
    }
}

/// The kinds of directory whose defaults we know.
public enum DirectoryProfile: String, Sendable, CaseIterable {
    case openldap
    case activeDirectory = "active-directory"
}

/// Where a secret is read from; never from the command line.
public enum SecretSource: Sendable, Equatable {
    case file(String)
    case environment(String)
    /// A systemd credential: `$CREDENTIALS_DIRECTORY/NAME`.
    case credential(String)
}

/// Which entries are users and how their attributes map into the user dataset.
public struct UserSearch: Sendable {
    public var base: String
    public var scope: SearchScope
    public var filter: String
    /// Entries that also match this filter are disabled (AD: the userAccountControl bit 2).
    public var disabledFilter: String?
    public var map: AttributeMap
    public var accountType: AccountTypeRules

    public init(base: String, scope: SearchScope = .subtree, filter: String, disabledFilter: String?, map: AttributeMap, accountType: AccountTypeRules = AccountTypeRules()) {
        self.base = base
        self.scope = scope
        self.filter = filter
        self.disabledFilter = disabledFilter
        self.map = map
        self.accountType = accountType
    }
}

/// Attribute names for each user field.
public struct AttributeMap: Sendable, Equatable {
    public var account: String
    public var name: String
    public var email: String
    public var mobile: String
    public var externalId: String

    public init(account: String, name: String, email: String, mobile: String, externalId: String) {
        self.account = account
        self.name = name
        self.email = email
        self.mobile = mobile
        self.externalId = externalId
    }
}

/// The account type of a user: the first rule that matches, else the default.
public struct AccountTypeRules: Sendable {
    public struct Rule: Sendable {
        /// The user is a member (directly or through nested groups) of the group with this DN.
        public var memberOf: String
        public var type: String

        public init(memberOf: String, type: String) {
            self.memberOf = memberOf
            self.type = type
        }
    }

    public var defaultType: String
    public var rules: [Rule]

    public init(defaultType: String = "Regular User", rules: [Rule] = []) {
        self.defaultType = defaultType
        self.rules = rules
    }
}

/// Which entries become user groups.
public struct GroupSearch: Sendable {
    public enum Source: String, Sendable, CaseIterable {
        case ouTree = "ou-tree"
        case groupObjects = "group-objects"
        case both
    }

    /// Where a group object sits: at the top level, or under the OU group that contains it.
    public enum Placement: String, Sendable, CaseIterable {
        case flat
        case underOU = "under-ou"
    }

    public var from: Source
    public var base: String
    /// The filter for OUs (the OU tree).
    public var ouFilter: String
    /// The filter for group objects.
    public var groupFilter: String
    /// Attributes that list a group's members by DN.
    public var memberAttributes: [String]
    /// The attribute that lists members by login name or uid number (RFC 2307 `memberUid`); nil: none.
    public var memberUidAttribute: String?
    /// The groups' own identity attribute (entryUUID, objectGUID): a group's id does not depend on
    /// the user mapping, so changing that never re-keys the groups.
    public var externalId: String
    public var placement: Placement

    public init(
        from: Source, base: String, ouFilter: String, groupFilter: String, memberAttributes: [String],
        memberUidAttribute: String? = nil, externalId: String = "entryUUID", placement: Placement = .flat
    ) {
        self.from = from
        self.base = base
        self.ouFilter = ouFilter
        self.groupFilter = groupFilter
        self.memberAttributes = memberAttributes
        self.memberUidAttribute = memberUidAttribute
        self.externalId = externalId
        self.placement = placement
    }
}

extension DirectoryProfile {
    /// The profile's user filter, attributes and disabled filter.
    public func defaultUsers(base: String) -> UserSearch {
        switch self {
        case .openldap:
            UserSearch(
                base: base, filter: "(objectClass=inetOrgPerson)", disabledFilter: "(pwdAccountLockedTime=*)",
                map: AttributeMap(account: "uid", name: "cn", email: "mail", mobile: "mobile", externalId: "entryUUID"))
        case .activeDirectory:
            UserSearch(
                base: base, filter: "(&(objectCategory=person)(objectClass=user))",
                disabledFilter: "(userAccountControl:1.2.840.113556.1.4.803:=2)",
                map: AttributeMap(account: "sAMAccountName", name: "displayName", email: "mail", mobile: "mobile", externalId: "objectGUID"))
        }
    }

    /// The profile's OU and group-object filters and member attributes.
    public func defaultGroups(base: String, from: GroupSearch.Source = .ouTree) -> GroupSearch {
        switch self {
        case .openldap:
            GroupSearch(
                from: from, base: base, ouFilter: "(objectClass=organizationalUnit)",
                groupFilter: "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))",
                memberAttributes: ["member", "uniqueMember"], memberUidAttribute: "memberUid", externalId: "entryUUID")
        case .activeDirectory:
            GroupSearch(
                from: from, base: base, ouFilter: "(objectClass=organizationalUnit)", groupFilter: "(objectClass=group)",
                memberAttributes: ["member"], externalId: "objectGUID")
        }
    }
}
