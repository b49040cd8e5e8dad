/// One row of a user dataset, as the source gave it (see the dataset contract in DESIGN.md).
///
/// Values are kept raw (for example `accountType` is a string) so that validation can report exactly
/// what the source said.
public struct UserRow: Sendable, Equatable, Codable, Hashable {
    public var account: String
    public var name: String
    public var email: String
    public var mobile: String
    public var accountType: String
    public var groupIds: [String]
    public var disabled: Bool
    public var externalId: String
    public var thirdParty: [String: String]

    public init(
        account: String, name: String = "", email: String = "", mobile: String = "",
        accountType: String = "", groupIds: [String] = [], disabled: Bool = false,
        externalId: String = "", thirdParty: [String: String] = [:]
    ) {
        self.account = account
        self.name = name
        self.email = email
        self.mobile = mobile
        self.accountType = accountType
        self.groupIds = groupIds
        self.disabled = disabled
        self.externalId = externalId
        self.thirdParty = thirdParty
    }
}

/// One row of a group dataset: a user group and its place in the group tree.
public struct GroupRow: Sendable, Equatable, Codable, Hashable {
    public var groupId: String
    public var name: String
    /// Empty means a top-level group.
    public var parentGroupId: String
    public var externalId: String
    /// Where the group lives in other systems, e.g. `ldapDN`: tells apart groups of the same name.
    public var thirdParty: [String: String]

    public init(groupId: String, name: String = "", parentGroupId: String = "", externalId: String = "", thirdParty: [String: String] = [:]) {
        self.groupId = groupId
        self.name = name
        self.parentGroupId = parentGroupId
        self.externalId = externalId
        self.thirdParty = thirdParty
    }
}

/// Which of the two datasets a file or stored dataset holds.
public enum DatasetKind: String, Sendable, Codable, CaseIterable {
    case users
    case groups
}
