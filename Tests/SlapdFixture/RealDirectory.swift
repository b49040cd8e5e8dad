/// A directory as real ones are, written by us after the cases found in other projects' published
/// test data: an attribute given in two places (as slapadd keeps interleaved lines), alias entries
/// (one carrying a uid, one used as a base), a referral object beside people, a member value with
/// an unescaped `=`, an LDAPv2 quoted member value, a `uniqueMember` with its optional UID,
/// posixGroups with `memberUid` by name and by number, dangling, out-of-base and alias members,
/// an OU whose first `ou` value is not its RDN, three groups named "A", and one account on two
/// entries. Loaded with slapadd below dc=example,dc=com.
public let realWorldDirectory = """
    dn: ou=Real,dc=example,dc=com
    objectClass: organizationalUnit
    ou: Real

    dn: ou=People,ou=Real,dc=example,dc=com
    objectClass: organizationalUnit
    ou: People

    dn: uid=alice,ou=People,ou=Real,dc=example,dc=com
    objectClass: inetOrgPerson
    objectClass: posixAccount
    uid: alice
    cn: Alice
    sn: A
    uidNumber: 1001
    gidNumber: 1000
    homeDirectory: /home/alice

    dn: uid=bob,ou=People,ou=Real,dc=example,dc=com
    objectClass: inetOrgPerson
    objectClass: posixAccount
    uid: bob
    cn: Bob
    sn: B
    uidNumber: 1002
    gidNumber: 1000
    homeDirectory: /home/bob

    dn: uid=carol,ou=People,ou=Real,dc=example,dc=com
    objectClass: inetOrgPerson
    objectClass: posixAccount
    uid: carol
    cn: Carol
    sn: C
    uidNumber: 1003
    gidNumber: 1000
    homeDirectory: /home/carol

    dn: cn=John Smith\\, III,ou=People,ou=Real,dc=example,dc=com
    objectClass: inetOrgPerson
    uid: jsmith
    cn: John Smith, III
    sn: Smith

    dn: ou=R=D,ou=People,ou=Real,dc=example,dc=com
    objectClass: organizationalUnit
    ou: R=D

    dn: uid=rnd1,ou=R=D,ou=People,ou=Real,dc=example,dc=com
    objectClass: inetOrgPerson
    uid: rnd1
    cn: R and D
    sn: D

    dn: uid=dev3,ou=People,ou=Real,dc=example,dc=com
    objectClass: inetOrgPerson
    uid: Dev3
    cn: Dev Three
    sn: T

    dn: cn=Dev Three Again,ou=R=D,ou=People,ou=Real,dc=example,dc=com
    objectClass: inetOrgPerson
    uid: dev3
    cn: Dev Three Again
    sn: T

    dn: uid=alice-alias,ou=People,ou=Real,dc=example,dc=com
    objectClass: alias
    objectClass: extensibleObject
    uid: alice
    aliasedObjectName: uid=alice,ou=People,ou=Real,dc=example,dc=com

    dn: cn=A,ou=People,ou=Real,dc=example,dc=com
    objectClass: groupOfNames
    cn: A
    member: uid=carol,ou=People,ou=Real,dc=example,dc=com

    dn: ou=Staff,ou=Real,dc=example,dc=com
    objectClass: alias
    objectClass: extensibleObject
    ou: Staff
    aliasedObjectName: ou=People,ou=Real,dc=example,dc=com

    dn: ou=newsfeeds,ou=Real,dc=example,dc=com
    objectClass: organizationalUnit
    ou: bookmarks
    ou: newsfeeds

    dn: cn=A,ou=newsfeeds,ou=Real,dc=example,dc=com
    objectClass: groupOfNames
    cn: A
    member: uid=bob,ou=People,ou=Real,dc=example,dc=com

    dn: ou=Groups,ou=Real,dc=example,dc=com
    objectClass: organizationalUnit
    ou: Groups

    dn: cn=A,ou=Groups,ou=Real,dc=example,dc=com
    objectClass: groupOfNames
    cn: A
    member: uid=alice,ou=People,ou=Real,dc=example,dc=com

    dn: cn=staff,ou=Groups,ou=Real,dc=example,dc=com
    objectClass: groupOfNames
    cn: staff
    member: uid=alice,ou=People,ou=Real,dc=example,dc=com
    description: staff-id
    member: uid=bob,ou=People,ou=Real,dc=example,dc=com
    member: cn="John Smith, III",ou=People,ou=Real,dc=example,dc=com
    member: uid=rnd1,ou=R=D,ou=People,ou=Real,dc=example,dc=com

    dn: cn=unique,ou=Groups,ou=Real,dc=example,dc=com
    objectClass: groupOfUniqueNames
    cn: unique
    uniqueMember: uid=carol,ou=People,ou=Real,dc=example,dc=com#'0101'B

    dn: cn=developers,ou=Groups,ou=Real,dc=example,dc=com
    objectClass: posixGroup
    cn: developers
    gidNumber: 5000
    memberUid: alice
    memberUid: CAROL
    memberUid: ghost

    dn: cn=operators,ou=Groups,ou=Real,dc=example,dc=com
    objectClass: posixGroup
    cn: operators
    gidNumber: 5001
    memberUid: 1002
    memberUid: 1999

    dn: cn=mixed,ou=Groups,ou=Real,dc=example,dc=com
    objectClass: groupOfNames
    cn: mixed
    member: uid=alice,ou=People,ou=Real,dc=example,dc=com
    member: uid=nobody,ou=People,ou=Real,dc=example,dc=com
    member: uid=outsider,ou=Elsewhere,dc=example,dc=com
    member: uid=alice-alias,ou=People,ou=Real,dc=example,dc=com

    dn: ou=Elsewhere,dc=example,dc=com
    objectClass: organizationalUnit
    ou: Elsewhere

    dn: uid=outsider,ou=Elsewhere,dc=example,dc=com
    objectClass: inetOrgPerson
    uid: outsider
    cn: Outsider
    sn: O

    dn: ou=Branch,dc=example,dc=com
    objectClass: organizationalUnit
    ou: Branch

    dn: uid=local1,ou=Branch,dc=example,dc=com
    objectClass: inetOrgPerson
    uid: local1
    cn: Local One
    sn: L

    dn: ou=Remote,ou=Branch,dc=example,dc=com
    objectClass: referral
    objectClass: extensibleObject
    ou: Remote
    ref: ldap://remote.example.com/ou=Remote,dc=example,dc=com


    """
