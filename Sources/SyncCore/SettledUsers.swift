/// Users a run need not plan one by one: each is exactly what its dataset row made of it at an
/// earlier run, and that row has not changed since.
///
/// A run stamps every user it writes from a valid row with the row's digest (the dataset's
/// `rowDigest` mixed with `SyncPolicy.settlingFingerprint`). Any other write to the user (an
/// admin's edit, a disable on deletion, a removed or adopted group it belonged to) clears the
/// stamp. So a user whose stamp equals the digest of the one row that matches it would be planned
/// as "valid, no change": the store finds those pairs with one join and hands the planner only the
/// rest. The planner still sees what the settled users hold (their accounts, emails and mobiles,
/// their seats) through this summary, so a changed row that collides with one of them fails as it
/// would in a full plan.
public struct SettledUsers {
    /// Dataset rows whose user is settled (each row has exactly one such user).
    public var rows: Int
    /// Settled users who are enabled (they hold a license seat).
    public var enabled: Int
    /// Settled users who are enabled and of an editable type (they hold an editable seat).
    public var editable: Int
    /// The account of the settled user who holds a normalised value, if any.
    public var holder: (UniqueField, String) -> String?

    public init(rows: Int, enabled: Int, editable: Int, holder: @escaping (UniqueField, String) -> String?) {
        self.rows = rows
        self.enabled = enabled
        self.editable = editable
        self.holder = holder
    }
}

/// The user values that must be unique, in their normalised form (see `Normalize`).
public enum UniqueField: Sendable {
    case account, email, mobile
}

/// The user side of a run as the store hands it to the planner.
public struct UserInput {
    /// The rows to plan, in dataset order: every row, or only those whose user is not settled.
    public var rows: any UserRowSource
    /// The users to plan against: all of them, or all but the settled ones.
    public var existing: [ExistingUser]
    /// The users left out of `existing` and the rows left out of `rows`; nil for a full plan.
    public var settled: SettledUsers?

    /// - Parameter digests: each row's stamp (see `SettledUsers`), aligned with `rows`; empty, or
    ///   nil for a row without one (its user gets no stamp).
    public init(rows: [UserRow], digests: [Int64?] = [], existing: [ExistingUser], settled: SettledUsers? = nil) {
        self.init(source: RowsInMemory(rows: rows, digests: digests), existing: existing, settled: settled)
    }

    public init(source: any UserRowSource, existing: [ExistingUser], settled: SettledUsers? = nil) {
        self.rows = source
        self.existing = existing
        self.settled = settled
    }

    /// How many rows the dataset has in all.
    var totalRows: Int { rows.count + (settled?.rows ?? 0) }
}

/// The rows of a user dataset as the planner reads them: first the values it matches rows to users
/// with and counts duplicates by, then each whole row once, in dataset order. A store reads them
/// from disk each time, so that a million rows are never all in memory.
public protocol UserRowSource {
    var count: Int { get }
    /// Each row's keys, in dataset order. The DN is given for every row when `everyDN` is set,
    /// else at least for each row without an externalId (the planner matches those by DN).
    func eachKey(everyDN: Bool, _ body: (UserRowKeys) throws -> Void) throws
    /// Each row with its stamp (see `SettledUsers`; nil for none), in dataset order.
    func eachRow(_ body: (UserRow, Int64?) throws -> Void) throws
}

/// What the planner reads of every row before it plans any: the values as the row gives them.
public struct UserRowKeys: Sendable {
    public var account: String
    public var externalId: String
    /// The row's `ldapDN`, when it has one and the source was asked for it.
    public var dn: String?

    public init(account: String, externalId: String, dn: String?) {
        self.account = account
        self.externalId = externalId
        self.dn = dn
    }
}

/// Rows already in memory: a dataset given whole, or the few rows a settled run reads.
public struct RowsInMemory: UserRowSource {
    public var rows: [UserRow]
    /// Aligned with `rows`, or empty.
    public var digests: [Int64?]

    public init(rows: [UserRow], digests: [Int64?] = []) {
        self.rows = rows
        self.digests = digests
    }

    public var count: Int { rows.count }

    public func eachKey(everyDN: Bool, _ body: (UserRowKeys) throws -> Void) throws {
        for row in rows { try body(UserRowKeys(account: row.account, externalId: row.externalId, dn: row.thirdParty["ldapDN"])) }
    }

    public func eachRow(_ body: (UserRow, Int64?) throws -> Void) throws {
        for index in rows.indices { try body(rows[index], index < digests.count ? digests[index] : nil) }
    }
}

/// What the group plan means for settled users: the groups whose members must be planned in full.
public struct GroupOutcome: Sendable {
    /// Groups that are removed, fail, or change from unmanaged to managed in this run: a user in one
    /// of them may change (a membership dropped or no longer kept) or fail (an unknown group).
    public var unsettling: Set<String>
}

extension SyncPolicy {
    /// A digest of the parts of the policy that decide what a row makes of its user (the owned
    /// fields and the length limits). Mixed into each stamp, so a change of policy settles no one.
    /// FNV-1a: stable across processes and releases, unlike Swift's seeded `Hasher`.
    public var settlingFingerprint: Int64 {
        let owned = ownedFields.map(\.rawValue).sorted().joined(separator: ",")
        let l = limits
        let text = "v1|\(owned)|\(l.account)|\(l.name)|\(l.email)|\(l.mobile)|\(l.groupId)|\(l.groupName)"
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}
