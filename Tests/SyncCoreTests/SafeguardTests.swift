import Foundation
import Testing
@testable import SyncCore

/// The deletion safeguard beyond a count: empty sources, percentages, the window, member removals,
/// protected accounts, approvals bound to a list, and purges on an injected clock.
@Suite("Deletion safeguard")
struct SafeguardTests {
    /// `count` managed, enabled users u1…uN, each in group `g`, with groups g and h.
    static func store(_ count: Int, type: AccountType = .regular) -> AccountState {
        AccountState(
            users: (1...count).map { existing(Int64($0), "u\($0)", type: type, groups: ["g"]) },
            groups: [ExistingGroup(id: 1, groupId: "g"), ExistingGroup(id: 2, groupId: "h")])
    }

    /// The rows of users u1…uN (in group g).
    static func rows(_ range: ClosedRange<Int>) -> [UserRow] { range.map { user("u\($0)", groups: ["g"]) } }

    static let bothGroups = [group("g"), group("h")]

    static func policy(_ configure: (inout DeletionSafeguard) -> Void) -> SyncPolicy {
        var safeguard = DeletionSafeguard(maxUserDeletions: 1_000, maxGroupDeletions: 1_000, maxUserDeletionPercent: 100, maxGroupDeletionPercent: 100)
        configure(&safeguard)
        return SyncPolicy(safeguard: safeguard)
    }

    static func run(_ users: [UserRow]?, groups: [GroupRow]? = bothGroups, state: AccountState, policy: SyncPolicy, context: RunContext = RunContext(runId: 7)) -> SyncPlan {
        SyncPlanner(policy: policy).plan(users: users, groups: groups, state: state, context: context)
    }

    // MARK: 1. An empty source

    @Test func anEmptyUserDatasetNeverDisablesTheManagedUsersWhateverTheLimits() {
        let result = Self.run([], state: Self.store(3), policy: SyncPolicy(safeguard: DeletionSafeguard(maxUserDeletions: 10)))
        #expect(result.failure?.code == .sourceEmpty)
        #expect(result.userChanges.isEmpty && result.groupChanges.isEmpty)
        let message = result.failure?.message ?? ""
        #expect(message.contains("the user dataset has no rows, but the store holds 3 managed users who are enabled"))
        #expect(message.contains("base DN") && message.contains("--approve 7"))
        #expect(result.items.filter { $0.code == .safeguardTripped }.map(\.key) == ["u1", "u2", "u3"])
    }

    @Test func anEmptyGroupDatasetWhileManagedGroupsExistIsSourceEmpty() {
        let result = Self.run(Self.rows(1...3).map { user($0.account) }, groups: [], state: Self.store(3), policy: Self.policy { _ in })
        #expect(result.failure?.code == .sourceEmpty)
        #expect(result.failure?.message.contains("the user group dataset has no rows, but the store holds 2 managed user groups") == true)
    }

    @Test func anEmptyDatasetIsFineWhenNobodyManagedIsEnabled() {
        let state = AccountState(users: [existing(1, "gone", disabled: .deletion), existing(2, "local", managed: false)])
        let result = Self.run([], groups: nil, state: state, policy: Self.policy { _ in })
        #expect(result.status == .success)
    }

    @Test func aCountApprovalDoesNotCoverAnEmptySource() {
        let result = Self.run([], state: Self.store(3), policy: Self.policy { _ in }, context: RunContext(approval: .count(100)))
        #expect(result.failure?.code == .sourceEmpty)
    }

    @Test func anApprovedListLetsAnEmptySourceThrough() {
        let state = Self.store(3)
        let tripped = Self.run([], groups: nil, state: state, policy: Self.policy { _ in })
        let approval = ApprovedList(runId: 7, items: tripped.items)
        let result = Self.run([], groups: nil, state: state, policy: Self.policy { _ in }, context: RunContext(approval: .listed(approval)))
        #expect(result.failure == nil)
        #expect(result.counts.usersDisabledOnDelete == 3)
    }

    // MARK: 2. Percentages, the window, member removals

    @Test(arguments: [(25, true), (15, false)])
    func aPercentageLimitOfTheManagedEnabledUsers(leaving: Int, trips: Bool) {
        let policy = Self.policy { $0.maxUserDeletionPercent = 10 }
        let result = Self.run(Self.rows(1...(200 - leaving)), state: Self.store(200), policy: policy)
        #expect((result.failure?.code == .safeguardTripped) == trips)
        if trips {
            #expect(result.failure?.message.contains("25 of 200 managed users (12.5%) would be disabled; the limit is 10% (sync.safeguard.maxUserDeletionPercent)") == true)
            #expect(result.userChanges.isEmpty)
        } else {
            #expect(result.counts.usersDisabledOnDelete == 15)
        }
    }

    @Test func percentagesAreNotAppliedBelowTwentyManagedUsers() {
        let policy = Self.policy { $0.maxUserDeletionPercent = 10 }
        let result = Self.run(Self.rows(1...10), state: Self.store(19), policy: policy)
        #expect(result.failure == nil)
        #expect(result.counts.usersDisabledOnDelete == 9)
    }

    @Test func theDefaultPercentageIsTwenty() {
        let policy = SyncPolicy(safeguard: DeletionSafeguard(maxUserDeletions: 1_000))
        #expect(Self.run(Self.rows(1...79), state: Self.store(100), policy: policy).failure?.code == .safeguardTripped)
        #expect(Self.run(Self.rows(1...80), state: Self.store(100), policy: policy).failure == nil)
    }

    @Test func aGroupPercentageCountsManagedGroups() {
        let state = AccountState(groups: (1...40).map { ExistingGroup(id: Int64($0), groupId: "g\($0)") })
        let policy = Self.policy { $0.maxGroupDeletionPercent = 20 }
        let result = Self.run(nil, groups: (1...30).map { group("g\($0)") }, state: state, policy: policy)
        #expect(result.failure?.message.contains("10 of 40 managed user groups (25%) would be removed; the limit is 20%") == true)
    }

    @Test func everyExceededLimitIsNamedWithItsFigure() {
        let policy = Self.policy {
            $0.maxUserDeletions = 10
            $0.maxUserDeletionPercent = 10
        }
        let message = Self.run(Self.rows(1...175), state: Self.store(200), policy: policy).failure?.message ?? ""
        #expect(message.contains("25 users would be disabled; the limit is 10 a run (sync.safeguard.maxUserDeletions)"))
        #expect(message.contains("25 of 200 managed users (12.5%)"))
    }

    @Test func theWindowAddsTheDeletionsOfEarlierRuns() {
        let policy = Self.policy { $0.window = DeletionWindow(days: 7, maxUserDeletions: 30) }
        // A first run of 20 passes; a second run of 15, with those 20 in the window, trips.
        let first = Self.run(Self.rows(1...180), state: Self.store(200), policy: policy)
        #expect(first.failure == nil && first.counts.usersDisabledOnDelete == 20)
        let second = Self.run(
            Self.rows(1...165), state: Self.store(180), policy: policy,
            context: RunContext(recentDeletions: DeletionTally(users: 20)))
        #expect(second.failure?.code == .safeguardTripped)
        #expect(second.failure?.message.contains("15 users would be disabled and runs of the last 7 days deleted 20: 35 in 7 days; the limit is 30 (sync.safeguard.window.maxUserDeletions)") == true)
        let alone = Self.run(Self.rows(1...165), state: Self.store(180), policy: policy, context: RunContext(recentDeletions: DeletionTally(users: 15)))
        #expect(alone.failure == nil)
    }

    @Test func aRunThatDeletesNothingNeverTripsTheWindow() {
        let policy = Self.policy { $0.window = DeletionWindow(days: 7, maxUserDeletions: 5) }
        let result = Self.run(Self.rows(1...20), state: Self.store(20), policy: policy, context: RunContext(recentDeletions: DeletionTally(users: 50)))
        #expect(result.status == .success)
    }

    @Test func takingTooManyMembersOutOfOneGroupTripsNamingTheGroup() {
        let policy = Self.policy { $0.maxMembershipRemovalsPerGroup = 3 }
        // Five users move from g to h: g loses 5 members.
        let moved = (1...5).map { user("u\($0)", groups: ["h"]) } + (6...10).map { user("u\($0)", groups: ["g"]) }
        let result = Self.run(moved, state: Self.store(10), policy: policy)
        #expect(result.failure?.code == .safeguardTripped)
        #expect(result.failure?.message.contains("group 'g' would lose 5 members; the limit is 3 a group") == true)
        let item = result.items.first { $0.kind == .group && $0.key == "g" }
        #expect(item?.action == .update && item?.code == .safeguardTripped)

        // Approving that list lets exactly those 5 go; a sixth trips again.
        let approval = ApprovedList(runId: 7, items: result.items)
        #expect(approval.memberRemovals == ["g": 5])
        let approved = Self.run(moved, state: Self.store(10), policy: policy, context: RunContext(approval: .listed(approval)))
        #expect(approved.failure == nil && approved.counts.usersUpdated == 5)
        let more = (1...6).map { user("u\($0)", groups: ["h"]) } + (7...10).map { user("u\($0)", groups: ["g"]) }
        let again = Self.run(more, state: Self.store(10), policy: policy, context: RunContext(approval: .listed(approval)))
        #expect(again.failure?.message.contains("6 members out of group 'g' (approved: 5)") == true)
    }

    // MARK: 3. Protected accounts

    @Test func anAdministratorWhoLeftIsKeptAsProtected() {
        let state = AccountState(users: [existing(1, "boss", type: .administrator), existing(2, "u2")])
        let result = Self.run([user("u2")], groups: nil, state: state, policy: Self.policy { _ in })
        #expect(result.status == .partiallyFailed)
        #expect(result.codes("boss") == [.protected])
        #expect(result.item("boss")?.message.contains("protect.administrators") == true)
        #expect(result.counts.usersNotDeleted == 1)
        #expect(result.counts.usersDisabledOnDelete == 0)
        #expect(result.userChanges.isEmpty)
    }

    @Test func administratorsCanBeReleased() {
        let state = AccountState(users: [existing(1, "boss", type: .administrator), existing(2, "u2")])
        let result = Self.run([user("u2")], groups: nil, state: state, policy: Self.policy { $0.protection.administrators = false })
        #expect(result.counts.usersDisabledOnDelete == 1)
    }

    @Test func namedAccountsAndGroupsAreProtectedWithTheirMembers() {
        let state = AccountState(
            users: [existing(1, "CEO"), existing(2, "vip1", groups: ["board"]), existing(3, "plain")],
            groups: [ExistingGroup(id: 1, groupId: "board"), ExistingGroup(id: 2, groupId: "other")])
        let policy = Self.policy {
            $0.deletedUsers = .remove
            $0.protection = Protection(accounts: ["ceo"], groups: ["board"])
        }
        let result = Self.run([], groups: [group("other")], state: state, policy: policy, context: RunContext(approval: .count(10)))
        #expect(result.failure?.code == .sourceEmpty)
        let approved = Self.run(
            [], groups: [group("other")], state: state, policy: policy,
            context: RunContext(approval: .listed(ApprovedList(runId: 1, users: ["plain"]))))
        #expect(approved.codes("CEO") == [.protected])
        #expect(approved.codes("vip1") == [.protected])
        #expect(approved.codes("board") == [.protected])
        #expect(approved.item("vip1")?.message.contains("group 'board'") == true)
        #expect(approved.counts.usersRemoved == 1 && approved.counts.usersNotDeleted == 2 && approved.counts.groupsNotDeleted == 1)
    }

    // MARK: 4. Approval bound to the people listed

    @Test func anApprovalAppliesTheListedPeopleAndTripsWhenOneMoreWouldGo() {
        let policy = Self.policy { $0.maxUserDeletions = 2 }
        let state = Self.store(10)
        let tripped = Self.run(Self.rows(1...7), state: state, policy: policy)
        #expect(tripped.failure?.code == .safeguardTripped)
        let approval = ApprovedList(runId: 7, items: tripped.items)
        #expect(approval.users == ["u8", "u9", "u10"])

        let approved = Self.run(Self.rows(1...7), state: state, policy: policy, context: RunContext(approval: .listed(approval)))
        #expect(approved.failure == nil)
        #expect(approved.counts.usersDisabledOnDelete == 3)

        let oneMore = Self.run(Self.rows(1...6), state: state, policy: policy, context: RunContext(runId: 9, approval: .listed(approval)))
        #expect(oneMore.failure?.code == .safeguardTripped)
        #expect(oneMore.failure?.message.contains("not on that list: user 'u7'") == true)
        #expect(oneMore.failure?.message.contains("--approve 9") == true)
        #expect(oneMore.items.count == 4)
    }

    @Test func anApprovalCoversFewerDeletionsToo() {
        let policy = Self.policy { $0.maxUserDeletions = 0 }
        let approval = ApprovedList(runId: 1, users: ["u9", "u10"])
        let result = Self.run(Self.rows(1...9), state: Self.store(10), policy: policy, context: RunContext(approval: .listed(approval)))
        #expect(result.failure == nil && result.counts.usersDisabledOnDelete == 1)
    }

    @Test func aCountApprovalReplacesEveryLimit() {
        let policy = Self.policy {
            $0.maxUserDeletions = 1
            $0.maxUserDeletionPercent = 1
            $0.window = DeletionWindow(days: 7, maxUserDeletions: 1)
        }
        let result = Self.run(Self.rows(1...150), state: Self.store(200), policy: policy, context: RunContext(recentDeletions: DeletionTally(users: 9), approval: .count(50)))
        #expect(result.failure == nil && result.counts.usersDisabledOnDelete == 50)
        let tooMany = Self.run(Self.rows(1...149), state: Self.store(200), policy: policy, context: RunContext(approval: .count(50)))
        #expect(tooMany.failure?.message.contains("51 users would be disabled; --allow-deletions approves 50") == true)
    }

    // MARK: 5. Disable, then purge

    @Test(arguments: [(91.0, true), (89.0, false)])
    func aUserWhoLeftIsPurgedAfterTheConfiguredDays(daysAgo: Double, purged: Bool) {
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        var gone = existing(1, "gone", disabled: .deletion)
        gone.leftAt = now.addingTimeInterval(-daysAgo * 86_400)
        let state = AccountState(users: [gone, existing(2, "u2"), existing(3, "bysource", disabled: .source)])
        let policy = Self.policy { $0.purgeAfterDays = 90 }
        let result = Self.run([user("u2")], groups: nil, state: state, policy: policy, context: RunContext(now: now))
        #expect(result.failure == nil)
        #expect(result.counts.usersRemoved == (purged ? 1 : 0))
        if purged {
            #expect(result.userChanges.map(\.record.account) == ["gone"])
            #expect(result.item("gone")?.message.contains("purged") == true)
        }
    }

    @Test func purgesCountTowardTheLimitsAndResourcesStillBlockThem() {
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        let longAgo = now.addingTimeInterval(-100 * 86_400)
        let state = AccountState(users: [
            existing(1, "a", disabled: .deletion), existing(2, "b", disabled: .deletion, resources: true), existing(3, "c", disabled: .deletion),
        ].map { var user = $0; user.leftAt = longAgo; return user })
        let tight = Self.policy {
            $0.purgeAfterDays = 30
            $0.maxUserDeletions = 1
        }
        #expect(Self.run(nil, groups: nil, state: state, policy: tight, context: RunContext(now: now)).status == .success)
        let withUsers = Self.run([], groups: nil, state: state, policy: tight, context: RunContext(now: now))
        #expect(withUsers.failure?.message.contains("2 users would be removed; the limit is 1 a run") == true)
        let loose = Self.policy { $0.purgeAfterDays = 30 }
        let applied = Self.run([user("new")], groups: nil, state: state, policy: loose, context: RunContext(now: now))
        #expect(applied.counts.usersRemoved == 2)
        #expect(applied.codes("b") == [.resourcesNotTransferred])
    }

    @Test func withoutPurgeAfterDaysDisabledUsersStay() {
        var gone = existing(1, "gone", disabled: .deletion)
        gone.leftAt = Date(timeIntervalSince1970: 0)
        let result = Self.run([user("new")], groups: nil, state: AccountState(users: [gone]), policy: Self.policy { _ in })
        #expect(result.counts.usersRemoved == 0 && result.status == .success)
    }

    @Test func percentagesPrintWithoutNeedlessDecimals() {
        #expect(SafeguardCheck.format(12.5) == "12.5")
        #expect(SafeguardCheck.format(10) == "10")
        #expect(SafeguardCheck.format(100.0 / 3) == "33.3")
    }
}
