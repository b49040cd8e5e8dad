@testable import SyncCore

/// Small builders so each test states only what matters to it.
func user(_ account: String, email: String = "", mobile: String = "", type: String = "", groups: [String] = [], disabled: Bool = false, externalId: String = "") -> UserRow {
    UserRow(account: account, name: account.capitalized, email: email, mobile: mobile, accountType: type, groupIds: groups, disabled: disabled, externalId: externalId)
}

func group(_ id: String, parent: String = "") -> GroupRow {
    GroupRow(groupId: id, name: "Group \(id)", parentGroupId: parent)
}

func existing(_ id: Int64, _ account: String, email: String = "", mobile: String = "", type: AccountType = .regular, groups: [String] = [], disabled: DisabledReason? = nil, managed: Bool = true, externalId: String = "", resources: Bool = false) -> ExistingUser {
    ExistingUser(id: id, account: account, name: account.capitalized, email: email, mobile: mobile, accountType: type, groupIds: groups, disabledReason: disabled, managed: managed, externalId: externalId, ownsResources: resources)
}

func plan(users: [UserRow]? = nil, groups: [GroupRow]? = nil, state: AccountState = AccountState(), policy: SyncPolicy = SyncPolicy(), allowDeletions: Int? = nil) -> SyncPlan {
    SyncPlanner(policy: policy).plan(users: users, groups: groups, state: state, allowDeletions: allowDeletions)
}

extension SyncPlan {
    /// The failure codes of one user or group, in order.
    func codes(_ key: String) -> [ItemCode] {
        items.filter { $0.key == key }.compactMap(\.code)
    }

    func item(_ key: String) -> RunItem? {
        items.first { $0.key == key }
    }
}

/// Applies a plan to an in-memory state, as the store would; for idempotence tests of the pure core.
func applied(_ plan: SyncPlan, to state: AccountState) -> AccountState {
    var users = Dictionary(uniqueKeysWithValues: state.users.map { ($0.id, $0) })
    var nextId = (state.users.map(\.id).max() ?? 0) + 1
    for change in plan.userChanges {
        let r = change.record
        switch change.action {
        case .remove: users[change.existingId!] = nil
        default:
            let id = change.existingId ?? { defer { nextId += 1 }; return nextId }()
            users[id] = ExistingUser(id: id, account: r.account, name: r.name, email: r.email, mobile: r.mobile, accountType: r.accountType, groupIds: r.groupIds, disabledReason: r.disabledReason, managed: users[id]?.managed ?? true, externalId: r.externalId, thirdParty: r.thirdParty)
        }
    }
    var groups = Dictionary(uniqueKeysWithValues: state.groups.map { ($0.groupId, $0) })
    var nextGroup = Int64(groups.count + 1)
    for change in plan.groupChanges {
        let r = change.record
        if change.action == .remove { groups[r.groupId] = nil; continue }
        let id = groups[r.groupId]?.id ?? { defer { nextGroup += 1 }; return nextGroup }()
        groups[r.groupId] = ExistingGroup(id: id, groupId: r.groupId, name: r.name, parentGroupId: r.parentGroupId, externalId: r.externalId)
    }
    return AccountState(users: users.values.sorted { $0.id < $1.id }, groups: groups.values.sorted { $0.id < $1.id })
}
