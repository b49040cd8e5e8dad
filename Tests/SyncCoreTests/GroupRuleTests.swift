import Testing
@testable import SyncCore

@Suite("Group dataset rules")
struct GroupRuleTests {
    @Test func validTreeIsCreatedWithParents() {
        let result = plan(groups: [group("root"), group("a", parent: "root"), group("b", parent: "a")])
        #expect(result.status == .success)
        #expect(result.counts.groupsCreated == 3)
        #expect(result.groupChanges.map(\.record.parentGroupId) == ["", "root", "a"])
    }

    @Test func parentThatDoesNotExistFailsTheGroup() {
        let result = plan(groups: [group("root"), group("a", parent: "nowhere")])
        #expect(result.codes("a") == [.groupParentNotFound])
        #expect(result.item("a")?.message.contains("'nowhere'") == true)
        #expect(result.status == .partiallyFailed)
        #expect(result.counts.groupsFailedNew == 1)
        #expect(result.counts.groupsCreated == 1)
    }

    @Test func parentMayBeAnExistingLocalGroup() {
        let state = AccountState(groups: [ExistingGroup(id: 1, groupId: "local", managed: false)])
        let result = plan(groups: [group("a", parent: "local")], state: state)
        #expect(result.status == .success)
    }

    @Test func parentIsSelfFails() {
        let result = plan(groups: [group("root"), group("a", parent: "a")])
        #expect(result.codes("a") == [.groupParentIsSelf])
    }

    @Test(arguments: [2, 3, 7])
    func cycleOfAnyLengthFailsEveryMember(length: Int) {
        var rows = [group("ok")]
        for index in 0..<length { rows.append(group("g\(index)", parent: "g\((index + 1) % length)")) }
        let result = plan(groups: rows)
        for index in 0..<length { #expect(result.codes("g\(index)") == [.groupParentCycle]) }
        #expect(result.counts.groupsFailedNew == length)
        #expect(result.counts.groupsCreated == 1)
    }

    @Test func childOfAFailedGroupFailsWithParentNotFoundNamingIt() {
        let result = plan(groups: [group("a", parent: "a"), group("child", parent: "a"), group("grandchild", parent: "child")])
        #expect(result.codes("child") == [.groupParentNotFound])
        #expect(result.item("child")?.message.contains("failed itself") == true)
        #expect(result.codes("grandchild") == [.groupParentNotFound])
        #expect(result.status == .failed)
        #expect(result.failure?.code == .allItemsFailed)
        #expect(result.groupChanges.isEmpty)
    }

    @Test func duplicateGroupIdFailsEveryRow() {
        let result = plan(groups: [group("a"), group("b"), group("a")])
        #expect(result.items.filter { $0.code == .duplicateGroupId }.count == 2)
        #expect(result.counts.groupsFailedNew == 2)
        #expect(result.counts.groupsCreated == 1)
    }

    @Test func missingGroupIdIsReportedByRow() {
        let result = plan(groups: [group("a"), GroupRow(groupId: "  ", name: "nameless")])
        #expect(result.codes("row 2") == [.missingRequiredField])
    }

    @Test func tooLongNameNamesFieldAndLimit() {
        var policy = SyncPolicy()
        policy.limits.groupName = 10
        let result = plan(groups: [GroupRow(groupId: "a", name: String(repeating: "x", count: 11))], policy: policy)
        #expect(result.codes("a") == [.valueTooLong])
        #expect(result.item("a")?.message == "name is 11 characters; the limit is 10")
    }

    @Test func managedGroupMissingFromDatasetIsRemovedUnlessItOwnsResources() {
        let state = AccountState(groups: [
            ExistingGroup(id: 1, groupId: "keep"), ExistingGroup(id: 2, groupId: "gone"),
            ExistingGroup(id: 3, groupId: "owner", ownsResources: true), ExistingGroup(id: 4, groupId: "local", managed: false),
        ])
        let result = plan(groups: [group("keep")], state: state)
        #expect(result.counts.groupsRemoved == 1)
        #expect(result.groupChanges.filter { $0.action == .remove }.map(\.record.groupId) == ["gone"])
        #expect(result.codes("owner") == [.resourcesNotTransferred])
        #expect(result.counts.groupsNotDeleted == 1)
        #expect(result.item("local") == nil)
    }

    @Test func renamedGroupIsAnUpdate() {
        let state = AccountState(groups: [ExistingGroup(id: 1, groupId: "a", name: "Old")])
        let result = plan(groups: [GroupRow(groupId: "a", name: "New")], state: state)
        #expect(result.counts.groupsUpdated == 1)
        #expect(result.groupChanges.first?.fieldChanges == [FieldChange(field: "name", old: "Old", new: "New")])
    }
}
