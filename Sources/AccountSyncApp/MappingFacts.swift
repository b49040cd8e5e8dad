import AccountSyncConfig
import DirectoryConnector
import SyncStore

/// The identity attributes of the last pull, remembered in the store, so `config validate` can say
/// what a changed mapping will do to the accounts already there before a run does it.
public enum MappingFacts {
    static let userIdentity = "source.users.map.externalId"
    static let userAccount = "source.users.map.account"
    static let groupIdentity = "source.groups.externalId"

    static func current(_ source: DirectorySettings) -> [String: String] {
        [userIdentity: source.users.map.externalId, userAccount: source.users.map.account, groupIdentity: source.groups.externalId]
    }

    /// One sentence per identity attribute that differs from the last pull's; empty when none does
    /// (or nothing was pulled yet).
    public static func changes(_ source: DirectorySettings, store: AccountStore) throws(StoreError) -> [String] {
        var notes: [String] = []
        let now = current(source)
        if let before = try store.fact(groupIdentity), before != now[groupIdentity] {
            notes.append("source.groups.externalId was '\(before)' at the last pull and is '\(now[groupIdentity]!)' now: every group id changes, so the next run would remove every managed group and create it again (the safeguard will stop that run; approve it only if that is what you want)")
        }
        if let before = try store.fact(userIdentity), before != now[userIdentity] {
            notes.append("source.users.map.externalId was '\(before)' at the last pull and is '\(now[userIdentity]!)' now: users are then matched by account and DN until their new externalId is stored; a user renamed in the meantime looks like a departure and a new user")
        }
        if let before = try store.fact(userAccount), before != now[userAccount] {
            notes.append("source.users.map.account was '\(before)' at the last pull and is '\(now[userAccount]!)' now: accounts are renamed where the externalId matches; users without one are matched by DN")
        }
        return notes
    }
}
