import Foundation

/// Validates the user dataset and plans user creates, updates, restores and deletions.
///
/// Rows are processed in dataset order. An account that appears twice fails on every one of its
/// rows; for email and mobile the first row keeps the value and later rows fail; license seats go
/// to rows in dataset order. A failed row leaves its existing user exactly as it was.
struct UserPlanner {
    let policy: SyncPolicy

    struct Result {
        var changes: [UserChange] = []
        var deletions: [UserChange] = []
        var items: [RunItem] = []
        var deletionItems: [RunItem] = []
        var counts = RunCounts()
        var validRows = 0
        /// Users left as they are whose stamp is new (see `UserStamp`).
        var stamps: [UserStamp] = []
        /// Members each group loses in this run (by group id), for the per-group safeguard limit.
        var memberRemovals: [String: Int] = [:]
    }

    /// What becomes of a managed user who is no longer in the dataset.
    private enum Fate: Equatable {
        case kept(enabled: Bool)
        case disabled
        case removed
    }

    /// Who holds a unique value: an existing user (index `i` in `existing` as `i`), a new row
    /// (row index `j` as `-(j + 1)`) or a settled user (the `k`th one looked up, as
    /// `existing.count + k`). Plain integers keep the claim tables small and fast.
    private typealias Holder = Int

    private struct Problem {
        var code: ItemCode
        var message: String
    }

    func plan(rows: [UserRow], existing: [ExistingUser], groups: GroupPlanner.Result?, now: Date) -> Result {
        plan(UserInput(rows: rows, existing: existing), groups: groups, now: now)
    }

    /// How the planner hands its changes on as it goes (see `PlanSink`): `deletionsPlanned` once,
    /// before the first row, with how many rows match no user; `rowsPlanned` with the changes and
    /// items made so far (it takes them out of the result) every few thousand items, and after the
    /// last row, with how many rows are planned.
    struct Stream {
        var deletionsPlanned: (_ result: inout Result, _ unmatchedRows: Int) throws -> Void
        var rowsPlanned: (_ result: inout Result, _ rows: Int) throws -> Void
        /// Items gathered before they are handed on.
        var partSize = 10_000
    }

    func plan(_ input: UserInput, groups: GroupPlanner.Result?, now: Date) -> Result {
        // Without a stream nothing throws.
        (try? plan(input, groups: groups, now: now, stream: nil)) ?? Result()
    }

    func plan(_ input: UserInput, groups: GroupPlanner.Result?, now: Date, stream: Stream?) throws -> Result {
        let rows = input.rows
        let existing = input.existing
        let settled = input.settled
        var result = Result()
        // Settled rows are valid and change nothing; their users keep their seats and values.
        result.validRows = settled?.rows ?? 0
        let protection = ProtectionCheck(policy.safeguard.protection)
        let owned = policy.ownedFields
        var byAccount: [String: Int] = [:]
        var byExternalId: [String: Int] = [:]
        byAccount.reserveCapacity(existing.count)  // it becomes the account claims below
        byExternalId.reserveCapacity(existing.count)
        // The users' values as compared, made again when needed rather than held: at a million
        // users three arrays of them were 48 MB. A value already in that form (most) comes back
        // as it is, without a copy.
        func existingAccount(_ index: Int) -> String { Normalize.account(existing[index].account) }
        func existingEmail(_ index: Int) -> String { Normalize.email(existing[index].email) }
        func existingMobile(_ index: Int) -> String { Normalize.mobile(existing[index].mobile) }
        // The rows' keys: their accounts normalised (and, where that differs, as given, trimmed,
        // for messages), their externalIds, and the DNs of rows without one. The whole rows come
        // one by one below.
        var rowNamesUnlikeKey: [Int: String] = [:]
        var rowAccounts: [String] = []
        var rowExternalIds: [String] = []
        var rowDNs: [Int: String] = [:]  // rows without an externalId that carry a DN
        rowAccounts.reserveCapacity(rows.count)
        rowExternalIds.reserveCapacity(rows.count)
        try rows.eachKey(everyDN: false) { keys in
            let name = keys.account.trimmingSpaces()
            let externalId = keys.externalId.trimmingSpaces()
            if externalId.isEmpty, let dn = keys.dn { rowDNs[rowAccounts.count] = dn }
            let key = Normalize.account(name)
            if key != name { rowNamesUnlikeKey[rowAccounts.count] = name }
            rowAccounts.append(key)
            rowExternalIds.append(externalId)
        }
        for index in existing.indices {  // by index: copying each user costs a retain of every field
            byAccount[existingAccount(index)] = index
            if existing[index].managed && !existing[index].externalId.isEmpty { byExternalId[existing[index].externalId] = index }
        }
        let managedGroups = groups?.managedIds
        let knownGroups = groups?.finalGroupIds

        // How often each account and externalId appears; only those seen twice are kept.
        let accountCount = Self.repeated(rowAccounts)
        let externalIdCount = Self.repeated(rowExternalIds)

        // Rows of an account that appears more than once, with the DN of each, for the message.
        var duplicateDNs: [String: [String]] = [:]
        if !accountCount.isEmpty {
            var index = 0
            try rows.eachKey(everyDN: true) { keys in
                let account = rowAccounts[index]
                index += 1
                if accountCount[account] != nil { duplicateDNs[account, default: []].append(keys.dn ?? "") }
            }
        }

        // Match each row to the existing user it describes: by externalId first, then by account,
        // and as a last resort (a row without an externalId) by the directory DN, so an entry that
        // is still there is never taken for a departure.
        var matches = [Int](repeating: -1, count: rowAccounts.count)  // the rows whose keys were read
        var matched = [Bool](repeating: false, count: existing.count)
        var unmatchedByDN: [Int] = []  // rows without an externalId whose account matched no one
        for rowIndex in rowAccounts.indices {
            let externalId = rowExternalIds[rowIndex]
            var match = externalId.isEmpty ? nil : byExternalId[externalId]
            if match == nil, let index = byAccount[rowAccounts[rowIndex]], existing[index].managed {
                match = index
            }
            if match == nil, externalId.isEmpty, rowDNs[rowIndex] != nil { unmatchedByDN.append(rowIndex) }
            if let match {
                matches[rowIndex] = match
                matched[match] = true
            }
        }
        // Matched: each row's own externalId serves its checks below. At a million rows of
        // directory UUIDs these strings were 80 MB the rest of the plan no longer holds; the
        // users' externalId index, 50 MB at a million users, is not needed again either.
        rowExternalIds = []
        byExternalId = [:]
        if !unmatchedByDN.isEmpty {
            // The DN index is built only when some row needs it (most sources give an externalId).
            var byDN: [String: Int] = [:]
            for (index, user) in existing.enumerated() where user.managed {
                if let dn = user.thirdParty["ldapDN"], !dn.isEmpty { byDN[dn.lowercased()] = index }
            }
            for rowIndex in unmatchedByDN {
                if let dn = rowDNs[rowIndex], let match = byDN[dn.lowercased()] {
                    matches[rowIndex] = match
                    matched[match] = true
                }
            }
        }

        // Deletions: managed users who are no longer in the dataset.
        var removed = [Bool](repeating: false, count: existing.count)
        var seatsTaken = settled?.enabled ?? 0
        var editableSeatsTaken = settled?.editable ?? 0
        for index in existing.indices where !matched[index] {
            let user = existing[index]
            let fate: Fate = user.managed ? planDeletion(of: user, protection: protection, now: now, into: &result) : .kept(enabled: !user.disabled)
            removed[index] = fate == .removed
            if fate == .kept(enabled: true) {
                seatsTaken += 1
                if user.accountType.isEditable { editableSeatsTaken += 1 }
            }
        }
        // Users matched by a row hold their seats until their row changes that.
        for index in existing.indices where matched[index] && !existing[index].disabled {
            seatsTaken += 1
            if existing[index].accountType.isEditable { editableSeatsTaken += 1 }
        }

        // Unique values claimed by the users who stay; rows claim theirs as they succeed.
        // The accounts' claims are the account index without the users removed (moved, not copied).
        // Room for the users and the rows that match none: a row that matches a user claims in
        // its place (reserving for every row doubled the tables when a run updates everyone).
        let unmatchedRows = matches.count { $0 < 0 }
        var accounts: [String: Holder] = byAccount
        byAccount = [:]
        var emails: [String: Holder] = [:]
        var mobiles: [String: Holder] = [:]
        accounts.reserveCapacity(existing.count + unmatchedRows)
        emails.reserveCapacity(existing.count + unmatchedRows)
        mobiles.reserveCapacity(existing.count + unmatchedRows)
        for index in existing.indices {
            if removed[index] {
                let account = existingAccount(index)
                if accounts[account] == index { accounts[account] = nil }
                continue
            }
            let email = existingEmail(index)
            let mobile = existingMobile(index)
            if !email.isEmpty { emails[email] = index }
            if !mobile.isEmpty { mobiles[mobile] = index }
        }
        /// The account that holds a claim, for messages.
        var settledNames: [String] = []
        func holderName(_ holder: Holder) -> String {
            if holder >= existing.count { return settledNames[holder - existing.count] }
            return holder >= 0 ? existing[holder].account : rowNamesUnlikeKey[-holder - 1] ?? rowAccounts[-holder - 1]
        }
        /// Who holds `value`: a claim made in this plan, else a settled user (they keep theirs).
        func claimant(of value: String, _ field: UniqueField, in claims: [String: Holder]) -> Holder? {
            if let holder = claims[value] { return holder }
            guard let settled, let account = settled.holder(field, value) else { return nil }
            settledNames.append(account)
            return existing.count + settledNames.count - 1
        }

        try stream?.deletionsPlanned(&result, unmatchedRows)
        /// Plans one row (`index` in dataset order), after the rows before it.
        func planRow(_ index: Int, _ row: UserRow, digest: Int64?) throws {
            if let stream, result.items.count >= stream.partSize { try stream.rowsPlanned(&result, index) }
            let current = matches[index] >= 0 ? existing[matches[index]] : nil
            let holder: Holder = matches[index] >= 0 ? matches[index] : -(index + 1)
            let account = row.account.trimmingSpaces()
            let key = account.isEmpty ? (row.thirdParty["ldapDN"] ?? "row \(index + 1)") : account
            var problems: [Problem] = []
            // Who holds the row's account, email and mobile, as looked up for the checks (a
            // successful row whose values stay then has nothing to claim: no second look).
            var accountHolder: Holder?
            var emailHolder: Holder?
            var mobileHolder: Holder?

            if account.isEmpty {
                problems.append(Problem(code: .missingRequiredField, message: "account is empty"))
            } else {
                let normalized = rowAccounts[index]
                if !accountCount.isEmpty, let count = accountCount[normalized] {
                    let dns = (duplicateDNs[normalized] ?? []).filter { !$0.isEmpty }
                    let entries = dns.isEmpty ? "" : " (\(dns.joined(separator: " and ")))"
                    problems.append(Problem(code: .duplicateAccount, message: "account '\(account)' appears \(count) times in the user dataset\(entries); the sync cannot know which row is right, so none is applied"))
                }
                accountHolder = claimant(of: normalized, .account, in: accounts)
                if let other = accountHolder, other != holder {
                    let otherName = holderName(other)
                    if current == nil {
                        problems.append(Problem(code: .accountExists, message: "account '\(account)' already exists in the system as '\(otherName)', an account the sync does not manage"))
                    } else {
                        problems.append(Problem(code: .accountExists, message: "cannot rename '\(current!.account)' to '\(account)': that account already exists as '\(otherName)'"))
                    }
                }
            }
            let externalId = row.externalId.trimmingSpaces()
            if !externalIdCount.isEmpty, let count = externalIdCount[externalId] {
                problems.append(Problem(code: .duplicateAccount, message: "externalId '\(externalId)' appears on \(count) rows of the user dataset; none of them is applied"))
            }
            problems += lengthProblems(row)
            let typeText = row.accountType.trimmingSpaces()
            let parsedType = AccountType(rawValue: typeText)
            if !typeText.isEmpty && parsedType == nil {
                problems.append(Problem(code: .invalidAccountType, message: "account type '\(typeText)' is not one of \(AccountType.allSpellings)"))
            }
            var rowGroups: [String] = []
            rowGroups.reserveCapacity(row.groupIds.count)
            for id in row.groupIds {
                let id = id.trimmingSpaces()
                if !id.isEmpty && !rowGroups.contains(id) { rowGroups.append(id) }
            }
            if let knownGroups, !rowGroups.allSatisfy(knownGroups.contains) {
                let unknown = rowGroups.filter { !knownGroups.contains($0) }
                if !unknown.isEmpty {
                    let reasons = unknown.map { id -> String in
                        if let code = groups?.failedIds[id] { return "'\(id)' (the group failed: \(code.rawValue))" }
                        if groups?.removedIds.contains(id) == true { return "'\(id)' (removed: no longer in the group dataset)" }
                        return "'\(id)'"
                    }
                    problems.append(Problem(code: .unknownGroup, message: "unknown user group \(reasons.joined(separator: ", "))"))
                }
            }

            // The user as this row leaves it.
            var record: UserRecord
            if let current {
                record = UserRecord(current)
                record.account = account
                if owned.contains(.name) { record.name = row.name.trimmingSpaces() }
                if owned.contains(.email) { record.email = row.email.trimmingSpaces() }
                if owned.contains(.mobile) { record.mobile = row.mobile.trimmingSpaces() }
                if owned.contains(.accountType), let parsedType { record.accountType = parsedType }
                if owned.contains(.thirdParty) { record.thirdParty = row.thirdParty }
                if !externalId.isEmpty { record.externalId = externalId }
                if owned.contains(.groups) {
                    // Memberships in groups the sync does not own (added by an admin) survive.
                    let kept = current.groupIds.filter { id in
                        !(managedGroups?.contains(id) ?? true) && !rowGroups.contains(id)
                            && !(groups?.removedIds.contains(id) ?? false)
                    }
                    record.groupIds = rowGroups + kept
                }
                record.disabledReason = nextDisabledReason(current: current.disabledReason, sourceDisabled: row.disabled)
            } else {
                record = UserRecord(
                    account: account, name: row.name.trimmingSpaces(), email: row.email.trimmingSpaces(),
                    mobile: row.mobile.trimmingSpaces(), accountType: parsedType ?? .regular, groupIds: rowGroups,
                    disabledReason: row.disabled ? .source : nil, externalId: externalId, thirdParty: row.thirdParty)
            }

            // Email and mobile: unique across all users who stay; the first row keeps the value.
            let before = matches[index]
            // The user's values as compared; a value the row leaves as it was is not normalised twice.
            let previous = before >= 0 ? (account: existingAccount(before), email: existingEmail(before), mobile: existingMobile(before)) : nil
            let email = previous.flatMap { record.email == existing[before].email ? $0.email : nil } ?? Normalize.email(record.email)
            if problems.isEmpty, !email.isEmpty { emailHolder = claimant(of: email, .email, in: emails) }
            if problems.isEmpty, let other = emailHolder, other != holder {
                problems.append(Problem(code: .duplicateEmail, message: "email '\(record.email)' is already used by '\(holderName(other))'"))
            }
            let mobile = previous.flatMap { record.mobile == existing[before].mobile ? $0.mobile : nil } ?? Normalize.mobile(record.mobile)
            if problems.isEmpty, !mobile.isEmpty { mobileHolder = claimant(of: mobile, .mobile, in: mobiles) }
            if problems.isEmpty, let other = mobileHolder, other != holder {
                problems.append(Problem(code: .duplicateMobile, message: "mobile '\(record.mobile)' is already used by '\(holderName(other))'"))
            }

            // License seats, in dataset order; disabled users take none.
            let wasSeated = current.map { !$0.disabled } ?? false
            let wasEditable = current.map { !$0.disabled && $0.accountType.isEditable } ?? false
            let seated = !record.disabled
            let editable = seated && record.accountType.isEditable
            let seatDelta = (seated ? 1 : 0) - (wasSeated ? 1 : 0)
            let editableDelta = (editable ? 1 : 0) - (wasEditable ? 1 : 0)
            if problems.isEmpty, seatDelta > 0, let max = policy.license.maxUsers, seatsTaken + seatDelta > max {
                problems.append(Problem(code: .userLicenseExceeded, message: "the license allows \(max) users and all are taken"))
            }
            if problems.isEmpty, editableDelta > 0, let max = policy.license.maxEditableUsers,
                editableSeatsTaken + editableDelta > max
            {
                problems.append(Problem(code: .editableLicenseExceeded, message: "the license allows \(max) editable users (Regular User, Administrator) and all are taken"))
            }

            if !problems.isEmpty {
                if current == nil { result.counts.usersFailedNew += 1 } else { result.counts.usersFailedUpdate += 1 }
                for problem in problems {
                    result.items.append(RunItem(kind: .user, key: key, action: current == nil ? .create : .update, code: problem.code, message: problem.message))
                }
                return
            }

            // The row succeeds: it takes its seats and its unique values.
            result.validRows += 1
            seatsTaken += seatDelta
            editableSeatsTaken += editableDelta
            // A user whose values stay holds them already (one look, no removal and insertion);
            // changed values move from the user's old ones.
            func held(_ value: String, previous: String?, _ lookedUp: Holder?) -> Bool {
                previous == value && (value.isEmpty || lookedUp == holder)
            }
            if !held(email, previous: previous?.email, emailHolder) {
                claim(email, previous: previous?.email, by: holder, in: &emails)
            }
            if !held(mobile, previous: previous?.mobile, mobileHolder) {
                claim(mobile, previous: previous?.mobile, by: holder, in: &mobiles)
            }
            if !held(rowAccounts[index], previous: previous?.account, accountHolder) {
                claim(rowAccounts[index], previous: previous?.account, by: holder, in: &accounts)
            }

            record.sourceDigest = digest
            if let current {
                let fieldChanges = record.changes(from: current)
                guard !fieldChanges.isEmpty else {
                    if let digest, current.sourceDigest != digest { result.stamps.append(UserStamp(userId: current.id, digest: digest)) }
                    return
                }
                if current.groupIds != record.groupIds {
                    for id in current.groupIds where !record.groupIds.contains(id) { result.memberRemovals[id, default: 0] += 1 }
                }
                let restored = current.disabledReason == .deletion && !record.disabled
                let action: ItemAction = restored ? .restore : .update
                result.changes.append(UserChange(action: action, existingId: current.id, record: record, fieldChanges: fieldChanges))
                if restored { result.counts.usersRestored += 1 } else { result.counts.usersUpdated += 1 }
                result.items.append(RunItem(kind: .user, key: account, action: action, message: (restored ? "restored: back in the user dataset; " : "") + describe(fieldChanges)))
            } else {
                result.changes.append(UserChange(action: .create, existingId: nil, record: record, fieldChanges: []))
                result.counts.usersCreated += 1
                if record.disabled {
                    result.counts.usersDisabledOnCreate += 1
                    result.items.append(RunItem(kind: .user, key: account, action: .disableOnCreate, message: "created disabled: the source marks the account disabled"))
                } else {
                    result.items.append(RunItem(kind: .user, key: account, action: .create, message: record.accountType.creationMessage))
                }
            }
        }
        var index = 0
        try rows.eachRow { row, digest in
            try planRow(index, row, digest: digest)
            index += 1
        }
        try stream?.rowsPlanned(&result, index)
        return result
    }

    /// Plans what becomes of a managed user missing from the dataset: disabled, removed (or purged
    /// after `purgeAfterDays`), or kept because they are protected or still own resources.
    private func planDeletion(of user: ExistingUser, protection: ProtectionCheck, now: Date, into result: inout Result) -> Fate {
        let action: ItemAction
        var purgeNote = ""
        switch policy.safeguard.deletedUsers {
        case .disable:
            if !user.disabled {
                action = .disableOnDelete
            } else if let days = policy.safeguard.purgeAfterDays, user.disabledReason == .deletion, let leftAt = user.leftAt,
                now.timeIntervalSince(leftAt) >= Double(days) * 86_400
            {
                action = .remove
                purgeNote = "purged: disabled since \(ISO8601DateFormatter().string(from: leftAt)) because they left, and still absent after \(days) days (sync.safeguard.purgeAfterDays)"
            } else {
                return .kept(enabled: false)
            }
        case .remove:
            action = .remove
        }
        if let why = protection.reason(user) {
            result.counts.usersNotDeleted += 1
            result.items.append(RunItem(
                kind: .user, key: user.account, action: action, code: .protected,
                message: "'\(user.account)' is no longer in the user dataset but is protected (\(why.because)); it was kept. To let runs delete it, \(why.release)"))
            return .kept(enabled: !user.disabled)
        }
        if action == .disableOnDelete {
            var record = UserRecord(user)
            record.disabledReason = .deletion
            result.deletions.append(UserChange(
                action: .disableOnDelete, existingId: user.id, record: record,
                fieldChanges: [FieldChange(field: "disabled", old: "false", new: "true")]))
            result.deletionItems.append(RunItem(kind: .user, key: user.account, action: .disableOnDelete, message: "disabled: no longer in the user dataset"))
            return .disabled
        }
        if user.ownsResources {
            result.counts.usersNotDeleted += 1
            result.items.append(RunItem(
                kind: .user, key: user.account, action: .remove, code: .resourcesNotTransferred,
                message: "'\(user.account)' is no longer in the user dataset but still owns resources; transfer them (resources transfer --from \(user.account) --to ACCOUNT), then the next run removes the user"))
            return .kept(enabled: !user.disabled)
        }
        result.deletions.append(UserChange(action: .remove, existingId: user.id, record: UserRecord(user), fieldChanges: []))
        result.deletionItems.append(RunItem(kind: .user, key: user.account, action: .remove, message: purgeNote.isEmpty ? "removed: no longer in the user dataset" : purgeNote))
        for id in user.groupIds { result.memberRemovals[id, default: 0] += 1 }
        return .removed
    }

    /// Source-driven disabling: the source may disable and re-enable; a deletion is undone by the
    /// user's return; an admin's disable is never undone by a run.
    private func nextDisabledReason(current: DisabledReason?, sourceDisabled: Bool) -> DisabledReason? {
        if current == .admin { return .admin }
        return sourceDisabled ? .source : nil
    }

    /// The values (non-empty) that appear more than once, with how often.
    private static func repeated(_ values: [String]) -> [String: Int] {
        var seen = Set<String>()
        seen.reserveCapacity(values.count)
        var repeated: [String: Int] = [:]
        for value in values where !value.isEmpty && !seen.insert(value).inserted {
            repeated[value, default: 1] += 1
        }
        return repeated
    }

    private func lengthProblems(_ row: UserRow) -> [Problem] {
        let limits = policy.limits
        // No value has more bytes than its limit allows characters: nothing to count (most rows).
        if row.account.utf8.count <= limits.account, row.name.utf8.count <= limits.name, row.email.utf8.count <= limits.email,
            row.mobile.utf8.count <= limits.mobile, row.groupIds.allSatisfy({ $0.utf8.count <= limits.groupId })
        {
            return []
        }
        let fields: [(String, String, Int)] = [
            ("account", row.account.trimmingSpaces(), limits.account),
            ("name", row.name.trimmingSpaces(), limits.name),
            ("email", row.email.trimmingSpaces(), limits.email),
            ("mobile", row.mobile.trimmingSpaces(), limits.mobile),
        ]
        var problems: [Problem] = []
        for (field, value, limit) in fields where value.limitLength > limit {
            problems.append(Problem(code: .valueTooLong, message: "\(field) is \(value.limitLength) characters; the limit is \(limit)"))
        }
        for id in row.groupIds where id.limitLength > limits.groupId {
            problems.append(Problem(code: .valueTooLong, message: "group id '\(id.prefix(20))…' is \(id.limitLength) characters; the limit is \(limits.groupId)"))
        }
        return problems
    }

    private func release(_ value: String, from holder: Holder, in claims: inout [String: Holder]) {
        if !value.isEmpty, claims[value] == holder { claims[value] = nil }
    }

    /// `holder` takes `value` (normalised; empty claims nothing), giving up `previous` if it differs.
    private func claim(_ value: String, previous: String?, by holder: Holder, in claims: inout [String: Holder]) {
        if let previous, previous != value { release(previous, from: holder, in: &claims) }
        if !value.isEmpty { claims[value] = holder }  // one hash lookup; the same holder again changes nothing
    }

}

/// Whether a user is protected from deletion by `sync.safeguard.protect`, and how to release them.
struct ProtectionCheck {
    let administrators: Bool
    let accounts: Set<String>
    let groups: Set<String>

    init(_ protection: Protection) {
        administrators = protection.administrators
        accounts = Set(protection.accounts.map(Normalize.account))
        groups = Set(protection.groups)
    }

    func reason(_ user: ExistingUser) -> (because: String, release: String)? {
        if administrators && user.accountType == .administrator {
            return ("an Administrator, and sync.safeguard.protect.administrators is on", "change the account type (users edit), or set protect.administrators: false")
        }
        if accounts.contains(Normalize.account(user.account)) {
            return ("listed in sync.safeguard.protect.accounts", "take the account off that list")
        }
        if let group = user.groupIds.first(where: groups.contains) {
            return ("a member of group '\(group)', listed in sync.safeguard.protect.groups", "take the group off that list, or the user out of the group")
        }
        return nil
    }
}
