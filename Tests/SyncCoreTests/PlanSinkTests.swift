import Foundation
import Testing

@testable import SyncCore

/// A planner given a sink hands over, part by part and in write order, exactly what it would have
/// put in the plan: the same changes and the same items in the same order.
@Suite struct PlanSinkTests {
    /// Keeps every part it is given (a fake: the planner is pure logic).
    final class RecordingSink: PlanSink {
        var begun: [(most: Int, unmatched: Int)] = []
        var parts: [PlanPart] = []
        func begin(steps: Int, unmatchedRows: Int) throws { begun.append((steps, unmatchedRows)) }
        func write(_ part: PlanPart) throws { parts.append(part) }
    }

    /// 25,000 existing users: 12,000 renamed, 300 gone, 2 with a duplicate account; 20,000 new
    /// rows; a group removed and one created.
    static func scenario() -> (rows: [UserRow], groups: [GroupRow], state: AccountState) {
        let existingUsers = (0..<25_000).map { i in
            existing(Int64(i + 1), "u\(i)", email: "u\(i)@example.com", groups: ["g\(i % 3)"], externalId: "x\(i)")
        }
        var rows = (300..<45_000).map { i in user("u\(i)", email: "u\(i)@example.com", groups: ["g\(i % 2)"], externalId: "x\(i)") }
        for i in stride(from: 0, to: 12_000, by: 1) { rows[i].name = "Renamed \(i)" }
        rows.append(user("u400", externalId: "other"))  // the account u400 twice: both rows fail
        let groups = [group("g0"), group("g1")]
        let state = AccountState(
            users: existingUsers,
            groups: [ExistingGroup(id: 1, groupId: "g0"), ExistingGroup(id: 2, groupId: "g1"), ExistingGroup(id: 3, groupId: "g2")])
        return (rows, groups, state)
    }

    /// The scenario planned twice under `policy` (with 1,000 deletions allowed unless `maxDeletions`
    /// says otherwise): whole, and through a recording sink.
    static func planned(
        maxDeletions: Int = 1_000, maxMembershipRemovals: Int? = nil
    ) throws -> (rows: [UserRow], whole: SyncPlan, streamed: SyncPlan, sink: RecordingSink) {
        var policy = SyncPolicy()
        policy.safeguard.maxUserDeletions = maxDeletions
        policy.safeguard.maxUserDeletionPercent = 100
        policy.safeguard.maxGroupDeletionPercent = 100
        policy.safeguard.maxMembershipRemovalsPerGroup = maxMembershipRemovals
        let (rows, groups, state) = scenario()
        let context = RunContext(now: Date(timeIntervalSince1970: 1_800_000_000))
        let whole = SyncPlanner(policy: policy).plan(users: rows, groups: groups, state: state, context: context)
        let sink = RecordingSink()
        let streamed = try SyncPlanner(policy: policy).plan(groups: groups, existingGroups: state.groups, context: context, sink: sink) { _ in
            UserInput(rows: rows, existing: state.users)
        }
        return (rows, whole, streamed, sink)
    }

    @Test func thePartsAreThePlanInWriteOrder() throws {
        let (rows, whole, streamed, sink) = try Self.planned()

        #expect(whole.status == .partiallyFailed && streamed.status == whole.status)
        #expect(streamed.counts == whole.counts)
        #expect(!streamed.discardsSinkParts)
        #expect(streamed.userChanges.isEmpty && streamed.groupChanges.isEmpty && streamed.items.isEmpty)
        #expect(sink.begun.count == 1)
        #expect(sink.begun.first?.most == rows.count + 300)
        #expect(sink.begun.first?.unmatched == 20_000)  // the new rows (the duplicate matches u400 by account)

        // First the groups' creations and updates, then the 300 deletions, then the rows' changes in
        // parts of about 10,000 items, then the groups' removal.
        let parts = sink.parts
        #expect(parts.first?.userChanges.isEmpty == true)
        #expect(parts[1].userChanges.count == 300 && parts[1].userChanges.allSatisfy { $0.action == .disableOnDelete })
        #expect(parts.count >= 6)
        #expect(parts.dropFirst(2).allSatisfy { $0.items.count <= 10_000 })
        #expect(parts.last?.groupChanges.map(\.action) == [.remove])
        // Progress: the steps done only grow, up to every deletion and every row.
        let steps = parts.compactMap(\.stepsDone)
        #expect(steps.first == 300 && steps.last == rows.count + 300 && steps == steps.sorted())
        #expect(parts.dropLast().allSatisfy { !$0.groupChanges.contains { $0.action == .remove } })

        let deletions = whole.userChanges.filter { $0.action == .disableOnDelete }
        let rowChanges = whole.userChanges.filter { $0.action != .disableOnDelete }
        #expect(parts.flatMap(\.userChanges) == deletions + rowChanges)
        #expect(parts.flatMap(\.items) == whole.items)
        #expect(parts.flatMap(\.groupChanges) == whole.groupChanges)
    }

    /// When the safeguard stops the run after the changes went to the sink, the plan says they
    /// must be thrown away and lists only what the safeguard lists.
    @Test func aSafeguardStopAfterThePartsDiscardsThem() throws {
        // The rows move thousands out of g0 and g1.
        let (_, whole, streamed, sink) = try Self.planned(maxMembershipRemovals: 100)
        #expect(whole.failure?.code == .safeguardTripped)
        #expect(streamed.failure == whole.failure)
        #expect(streamed.items == whole.items)
        #expect(streamed.discardsSinkParts)
        #expect(!sink.parts.flatMap(\.userChanges).isEmpty)
    }

    /// When the deletions alone stop the run (too many leavers), the rows are still planned, for
    /// the safeguard's full list, but the sink is given nothing: there is nothing to roll back.
    @Test func aRunTheDeletionsStopGivesTheSinkNothing() throws {
        // 300 leave, and the rows move thousands out of g0 and g1.
        let (_, whole, streamed, sink) = try Self.planned(maxDeletions: 10, maxMembershipRemovals: 100)
        #expect(whole.failure?.code == .safeguardTripped)
        #expect(whole.failure?.message.contains("300 users would be disabled") == true)
        #expect(whole.failure?.message.contains("group 'g0' would lose") == true)  // found only by planning the rows
        #expect(streamed.failure == whole.failure)
        #expect(streamed.items == whole.items)
        #expect(sink.begun.isEmpty && sink.parts.isEmpty)
    }
}

