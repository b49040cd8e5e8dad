import GRDB

extension AccountStore {
    /// A fact the store remembers about how it was filled (e.g. which attribute identified the
    /// users of the last pull), so a later config can be compared with it.
    public func fact(_ key: String) throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM store_facts WHERE key = ?", arguments: [key]) }
    }

    public func setFacts(_ facts: [String: String]) throws(StoreError) {
        try write { db in
            for (key, value) in facts {
                try db.execute(sql: "INSERT INTO store_facts (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [key, value])
            }
        }
    }
}
