import Testing
@testable import SyncCore

@Suite("User dataset rules")
struct UserRuleTests {
    @Test func newUsersAreCreatedWithTheDefaultType() {
        let result = plan(users: [user("alice"), user("bob", type: "Administrator")])
        #expect(result.status == .success)
        #expect(result.counts.usersCreated == 2)
        #expect(result.userChanges.map(\.record.accountType) == [.regular, .administrator])
    }

    @Test func duplicateAccountFailsEveryOneOfItsRowsCaseInsensitively() {
        let result = plan(users: [user("Alice"), user("bob"), user("alice")])
        #expect(result.items.filter { $0.code == .duplicateAccount }.count == 2)
        #expect(result.counts.usersFailedNew == 2)
        #expect(result.counts.usersCreated == 1)
    }

    @Test func newAccountCollidingWithALocalAccountFails() {
        let state = AccountState(users: [existing(1, "root", managed: false)])
        let result = plan(users: [user("ROOT")], state: state)
        #expect(result.codes("ROOT") == [.accountExists])
        #expect(result.status == .failed)
    }

    @Test func firstRowKeepsAnEmailAndLaterRowsFail() {
        let result = plan(users: [user("a", email: "Same@Example.com"), user("b", email: " same@example.com ")])
        #expect(result.codes("a") == [])
        #expect(result.codes("b") == [.duplicateEmail])
        #expect(result.item("b")?.message.contains("'a'") == true)
    }

    @Test func emailOfAnExistingAccountFailsTheRow() {
        let state = AccountState(users: [existing(1, "local", email: "x@example.com", managed: false)])
        let result = plan(users: [user("new", email: "X@EXAMPLE.COM")], state: state)
        #expect(result.codes("new") == [.duplicateEmail])
    }

    @Test(arguments: ["+86 138-0013-8000", "0086 13800138000", "+8613800138000", "(+86) 138 0013 8000"])
    func mobilesCompareNormalized(other: String) {
        let result = plan(users: [user("a", mobile: "+86 13800138000"), user("b", mobile: other)])
        #expect(result.codes("b") == [.duplicateMobile])
    }

    @Test func aValueFreedByAnEarlierRowCanBeTaken() {
        let state = AccountState(users: [existing(1, "a", email: "old@example.com")])
        let result = plan(users: [user("a", email: "new@example.com"), user("b", email: "old@example.com")], state: state)
        #expect(result.status == .success)
    }

    @Test(arguments: ["Superuser", "regular user", "Admin", "Read Only User"])
    func invalidAccountTypeFails(type: String) {
        let result = plan(users: [user("a", type: type)])
        #expect(result.codes("a") == [.invalidAccountType])
        #expect(result.item("a")?.message.contains(type) == true)
    }

    @Test(arguments: AccountType.allCases)
    func everyValidAccountTypeIsAccepted(type: AccountType) {
        #expect(plan(users: [user("a", type: type.rawValue)]).status == .success)
    }

    @Test(arguments: [("account", 64), ("name", 128), ("email", 254), ("mobile", 32)])
    func valueTooLongNamesFieldAndLimit(field: String, limit: Int) {
        let long = String(repeating: "9", count: limit + 1)
        var row = user("a")
        switch field {
        case "account": row.account = long
        case "name": row.name = long
        case "email": row.email = long
        default: row.mobile = long
        }
        let result = plan(users: [row])
        let item = result.items.first { $0.code == .valueTooLong }
        #expect(item?.message == "\(field) is \(limit + 1) characters; the limit is \(limit)")
    }

    @Test func missingAccountIsReportedByRowNumber() {
        let result = plan(users: [user("a"), user("   ")])
        #expect(result.codes("row 2") == [.missingRequiredField])
    }

    @Test func unknownGroupFailsTheUser() {
        let result = plan(users: [user("a", groups: ["g1", "nope"])], groups: [group("g1")])
        #expect(result.codes("a") == [.unknownGroup])
        #expect(result.item("a")?.message.contains("'nope'") == true)
    }

    @Test func groupThatFailedMakesItsMembersFailWithTheReason() {
        let result = plan(users: [user("a", groups: ["bad"])], groups: [group("bad", parent: "bad")])
        #expect(result.codes("a") == [.unknownGroup])
        #expect(result.item("a")?.message.contains("GROUP_PARENT_IS_SELF") == true)
    }

    @Test func userLicenseGoesToRowsInDatasetOrderAndDisabledUsersTakeNoSeat() {
        var policy = SyncPolicy()
        policy.license.maxUsers = 2
        let result = plan(users: [user("a"), user("off", disabled: true), user("b"), user("c")], policy: policy)
        #expect(result.codes("a") == [])
        #expect(result.codes("off") == [])
        #expect(result.codes("b") == [])
        #expect(result.codes("c") == [.userLicenseExceeded])
    }

    @Test func editableLicenseCountsRegularUsersAndAdministratorsOnly() {
        var policy = SyncPolicy()
        policy.license.maxEditableUsers = 1
        let result = plan(users: [user("a", type: "Administrator"), user("r", type: "Read-Only User"), user("b", type: "Regular User")], policy: policy)
        #expect(result.codes("r") == [])
        #expect(result.codes("b") == [.editableLicenseExceeded])
    }

    @Test func existingUsersKeepTheirSeatsWhenTheLicenseShrinks() {
        var policy = SyncPolicy()
        policy.license.maxUsers = 1
        let state = AccountState(users: [existing(1, "a"), existing(2, "b")])
        let result = plan(users: [user("a"), user("b"), user("c")], state: state, policy: policy)
        #expect(result.codes("a") == [])
        #expect(result.codes("b") == [])
        #expect(result.codes("c") == [.userLicenseExceeded])
    }

    @Test func disabledRowIsCreatedDisabledAndCounted() {
        let result = plan(users: [user("a", disabled: true), user("b")])
        #expect(result.counts.usersCreated == 2)
        #expect(result.counts.usersDisabledOnCreate == 1)
        #expect(result.item("a")?.action == .disableOnCreate)
        #expect(result.userChanges.first?.record.disabledReason == .source)
    }

    @Test func managedUserMissingFromDatasetIsDisabledOrRemoved() {
        let state = AccountState(users: [existing(1, "stay"), existing(2, "leaver"), existing(3, "local", managed: false)])
        let disabled = plan(users: [user("stay")], state: state)
        #expect(disabled.counts.usersDisabledOnDelete == 1)
        #expect(disabled.item("leaver")?.action == .disableOnDelete)
        #expect(disabled.item("local") == nil)

        var policy = SyncPolicy()
        policy.safeguard.deletedUsers = .remove
        let removed = plan(users: [user("stay")], state: state, policy: policy)
        #expect(removed.counts.usersRemoved == 1)
        #expect(removed.userChanges.last?.action == .remove)
    }

    @Test func userWhoStillOwnsResourcesIsNotRemoved() {
        var policy = SyncPolicy()
        policy.safeguard.deletedUsers = .remove
        let state = AccountState(users: [existing(1, "stay"), existing(2, "owner", resources: true)])
        let result = plan(users: [user("stay")], state: state, policy: policy)
        #expect(result.codes("owner") == [.resourcesNotTransferred])
        #expect(result.counts.usersNotDeleted == 1)
        #expect(result.counts.usersRemoved == 0)
        #expect(result.status == .partiallyFailed)
    }

    @Test func userDisabledByDeletionWhoComesBackIsRestored() {
        let state = AccountState(users: [existing(1, "back", disabled: .deletion)])
        let result = plan(users: [user("back")], state: state)
        #expect(result.counts.usersRestored == 1)
        #expect(result.userChanges.first?.action == .restore)
        #expect(result.userChanges.first?.record.disabled == false)
    }

    @Test func anAdminsDisableIsNeverUndoneByARun() {
        let state = AccountState(users: [existing(1, "a", disabled: .admin)])
        let result = plan(users: [user("a")], state: state)
        #expect(result.userChanges.isEmpty)
    }

    @Test func fieldsTheSyncDoesNotOwnKeepTheAdminsValue() {
        var policy = SyncPolicy()
        policy.ownedFields = [.name]
        let state = AccountState(users: [existing(1, "a", email: "admin-set@example.com", type: .administrator)])
        var row = user("a", email: "source@example.com", type: "Regular User")
        row.name = "Renamed"
        let result = plan(users: [row], state: state, policy: policy)
        let record = result.userChanges.first?.record
        #expect(record?.email == "admin-set@example.com")
        #expect(record?.accountType == .administrator)
        #expect(record?.name == "Renamed")
        #expect(result.userChanges.first?.fieldChanges.map(\.field) == ["name"])
    }

    @Test func externalIdFollowsARename() {
        let state = AccountState(users: [existing(1, "old.name", externalId: "guid-1")])
        let result = plan(users: [user("new.name", externalId: "guid-1")], state: state)
        #expect(result.counts.usersUpdated == 1)
        #expect(result.counts.usersDisabledOnDelete == 0)
        #expect(result.userChanges.first?.fieldChanges.first == FieldChange(field: "account", old: "old.name", new: "new.name"))
    }

    @Test func membershipsInLocalGroupsSurvive() {
        let state = AccountState(
            users: [existing(1, "a", groups: ["local", "g1"])],
            groups: [ExistingGroup(id: 1, groupId: "local", managed: false), ExistingGroup(id: 2, groupId: "g1"), ExistingGroup(id: 3, groupId: "g2")])
        let result = plan(users: [user("a", groups: ["g2"])], groups: [group("g1"), group("g2")], state: state)
        #expect(Set(result.userChanges.first?.record.groupIds ?? []) == ["g2", "local"])
    }
}

@Suite("Safeguard, status and idempotence")
struct RunRuleTests {
    @Test func safeguardTripsAppliesNothingAndListsWhoWouldGo() {
        var policy = SyncPolicy()
        policy.safeguard.maxUserDeletions = 1
        let state = AccountState(users: (1...3).map { existing(Int64($0), "u\($0)") })
        let result = plan(users: [user("new")], state: state, policy: policy)
        #expect(result.status == .failed)
        #expect(result.failure?.code == .safeguardTripped)
        #expect(result.failure?.message.contains("3 users would be disabled; the limit is 1 a run") == true)
        #expect(result.failure?.message.contains("--approve") == true)
        #expect(result.userChanges.isEmpty && result.groupChanges.isEmpty)
        #expect(result.items.map(\.key) == ["u1", "u2", "u3"])
        #expect(result.items.allSatisfy { $0.code == .safeguardTripped })
    }

    @Test func groupSafeguardTripsToo() {
        var policy = SyncPolicy()
        policy.safeguard.maxGroupDeletions = 0
        let state = AccountState(groups: [ExistingGroup(id: 1, groupId: "g")])
        #expect(plan(groups: [group("other")], state: state, policy: policy).failure?.code == .safeguardTripped)
    }

    @Test func allowDeletionsApprovesOneRun() {
        var policy = SyncPolicy()
        policy.safeguard.maxUserDeletions = 1
        let state = AccountState(users: (1...3).map { existing(Int64($0), "u\($0)") })
        #expect(plan(users: [user("new")], state: state, policy: policy, allowDeletions: 2).failure?.code == .safeguardTripped)
        let approved = plan(users: [user("new")], state: state, policy: policy, allowDeletions: 3)
        #expect(approved.status == .success)
        #expect(approved.counts.usersDisabledOnDelete == 3)
    }

    @Test func emptyDatasetDoesNotWipeTheCompany() {
        let state = AccountState(users: (1...500).map { existing(Int64($0), "u\($0)") })
        #expect(plan(users: [], state: state).failure?.code == .sourceEmpty)
        #expect(plan(users: [user("u1")], state: state).failure?.code == .safeguardTripped)
    }

    @Test func sameDatasetsTwiceChangeNothingTheSecondTime() {
        let groups = [group("root"), group("a", parent: "root")]
        let users = [user("x", email: "x@e.com", groups: ["a"]), user("y", groups: ["root"], disabled: true), user("z", type: "Administrator")]
        let first = plan(users: users, groups: groups)
        #expect(first.status == .success)
        let second = plan(users: users, groups: groups, state: applied(first, to: AccountState()))
        #expect(second.status == .success)
        #expect(second.userChanges.isEmpty)
        #expect(second.groupChanges.isEmpty)
        #expect(second.counts == RunCounts())
    }
}

@Suite("Normalization")
struct NormalizationTests {
    @Test(arguments: [
        ("+86 138-0013-8000", "+8613800138000"), ("0086 138", "+86138"), ("138 0013", "1380013"), ("", ""),
        // Values already in that form come back as they are; the rest are rewritten.
        ("+8613800138000", "+8613800138000"), ("13800138000", "13800138000"), ("00861380", "+861380"), ("+", ""), ("+0086", "+0086"),
        ("+86+1", "+861"), ("0", "0"),
    ])
    func mobile(input: String, expected: String) {
        #expect(Normalize.mobile(input) == expected)
    }

    @Test func emailAndAccountIgnoreCaseAndSpaces() {
        #expect(Normalize.email("  A@B.COM ") == "a@b.com")
        #expect(Normalize.account("Alice") == Normalize.account("ALICE"))
    }
}
