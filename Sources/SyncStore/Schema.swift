import GRDB
import SyncCore

/// The store's schema, as named append-only migrations: never edit one that has shipped, add a new one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: datasets, accounts, runs, audit") { db in
            try db.execute(sql: """
                CREATE TABLE datasets (
                    name TEXT PRIMARY KEY NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('users', 'groups')),
                    source TEXT NOT NULL,
                    rowCount INTEGER NOT NULL,
                    importedAt DATETIME NOT NULL
                );
                CREATE TABLE dataset_users (
                    dataset TEXT NOT NULL REFERENCES datasets(name) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    account TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL, mobile TEXT NOT NULL,
                    accountType TEXT NOT NULL, groupIds TEXT NOT NULL, disabled INTEGER NOT NULL,
                    externalId TEXT NOT NULL, thirdParty TEXT NOT NULL,
                    PRIMARY KEY (dataset, position)
                ) WITHOUT ROWID;
                CREATE TABLE dataset_groups (
                    dataset TEXT NOT NULL REFERENCES datasets(name) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    groupId TEXT NOT NULL, name TEXT NOT NULL, parentGroupId TEXT NOT NULL, externalId TEXT NOT NULL,
                    PRIMARY KEY (dataset, position)
                ) WITHOUT ROWID;
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY,
                    account TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    name TEXT NOT NULL, email TEXT NOT NULL, mobile TEXT NOT NULL,
                    accountType TEXT NOT NULL,
                    disabledReason TEXT CHECK (disabledReason IN ('source', 'deletion', 'admin')),
                    managed INTEGER NOT NULL,
                    externalId TEXT NOT NULL,
                    thirdParty TEXT NOT NULL,
                    createdAt DATETIME NOT NULL,
                    updatedAt DATETIME NOT NULL
                );
                CREATE TABLE user_groups (
                    id INTEGER PRIMARY KEY,
                    groupId TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    parentGroupId TEXT NOT NULL,
                    externalId TEXT NOT NULL,
                    managed INTEGER NOT NULL,
                    createdAt DATETIME NOT NULL,
                    updatedAt DATETIME NOT NULL
                );
                CREATE TABLE memberships (
                    userId INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    groupId TEXT NOT NULL,
                    PRIMARY KEY (userId, groupId)
                ) WITHOUT ROWID;
                CREATE INDEX memberships_by_group ON memberships(groupId);
                CREATE TABLE resources (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    ownerUserId INTEGER REFERENCES users(id),
                    ownerGroupId TEXT,
                    CHECK ((ownerUserId IS NULL) <> (ownerGroupId IS NULL))
                );
                CREATE INDEX resources_by_user ON resources(ownerUserId);
                CREATE INDEX resources_by_group ON resources(ownerGroupId);
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    status TEXT NOT NULL,
                    trigger TEXT NOT NULL,
                    startedAt DATETIME NOT NULL,
                    finishedAt DATETIME,
                    failureCode TEXT,
                    failureMessage TEXT,
                    counts TEXT NOT NULL,
                    pid INTEGER NOT NULL
                );
                CREATE INDEX runs_by_start ON runs(startedAt);
                CREATE TABLE run_items (
                    runId INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    kind TEXT NOT NULL, key TEXT NOT NULL, action TEXT NOT NULL, code TEXT, message TEXT NOT NULL,
                    PRIMARY KEY (runId, seq)
                ) WITHOUT ROWID;
                CREATE TABLE user_changes (
                    id INTEGER PRIMARY KEY,
                    userId INTEGER NOT NULL,
                    account TEXT NOT NULL COLLATE NOCASE,
                    runId INTEGER,
                    actor TEXT NOT NULL,
                    at DATETIME NOT NULL,
                    field TEXT NOT NULL,
                    old TEXT NOT NULL,
                    new TEXT NOT NULL
                );
                CREATE INDEX user_changes_by_user ON user_changes(userId);
                CREATE INDEX user_changes_by_account ON user_changes(account);
                """)
        }
        migrator.registerMigration("v2: safeguard: when users left, run approvals") { db in
            try db.execute(sql: """
                ALTER TABLE users ADD COLUMN leftAt DATETIME;
                UPDATE users SET leftAt = updatedAt WHERE disabledReason = 'deletion';
                ALTER TABLE runs ADD COLUMN approvalRunId INTEGER;
                ALTER TABLE runs ADD COLUMN approvalCount INTEGER;
                ALTER TABLE runs ADD COLUMN approvedBy TEXT;
                ALTER TABLE runs ADD COLUMN approvalReason TEXT;
                CREATE INDEX runs_by_approval ON runs(approvalRunId) WHERE approvalRunId IS NOT NULL;
                """)
        }
        migrator.registerMigration("v3: where groups live in other systems; what a pull's mapping was") { db in
            try db.execute(sql: """
                ALTER TABLE dataset_groups ADD COLUMN thirdParty TEXT NOT NULL DEFAULT '';
                ALTER TABLE user_groups ADD COLUMN thirdParty TEXT NOT NULL DEFAULT '';
                CREATE TABLE store_facts (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v4: console admins, API tokens, sessions; who started a run") { db in
            try db.execute(sql: """
                CREATE TABLE admins (
                    name TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
                    passwordHash TEXT NOT NULL,
                    totpSecret TEXT,
                    createdAt DATETIME NOT NULL,
                    updatedAt DATETIME NOT NULL
                );
                CREATE TABLE api_tokens (
                    name TEXT PRIMARY KEY NOT NULL,
                    tokenHash TEXT NOT NULL UNIQUE,
                    scope TEXT NOT NULL CHECK (scope IN ('push', 'read', 'admin')),
                    createdBy TEXT NOT NULL,
                    createdAt DATETIME NOT NULL,
                    expiresAt DATETIME,
                    revokedAt DATETIME,
                    lastUsedAt DATETIME
                );
                CREATE TABLE sessions (
                    idHash TEXT PRIMARY KEY NOT NULL,
                    admin TEXT NOT NULL REFERENCES admins(name) ON DELETE CASCADE,
                    csrfToken TEXT NOT NULL,
                    createdAt DATETIME NOT NULL,
                    expiresAt DATETIME NOT NULL
                ) WITHOUT ROWID;
                ALTER TABLE runs ADD COLUMN startedBy TEXT;
                CREATE INDEX runs_by_status ON runs(status);
                """)
        }
        migrator.registerMigration("v5: sync settings versions") { db in
            try db.execute(sql: """
                CREATE TABLE settings_versions (
                    version INTEGER PRIMARY KEY,
                    document TEXT NOT NULL,
                    savedBy TEXT NOT NULL,
                    savedAt DATETIME NOT NULL,
                    changes TEXT NOT NULL
                );
                ALTER TABLE runs ADD COLUMN settingsVersion INTEGER;
                """)
        }
        migrator.registerMigration("v6: agent runs") { db in
            try db.execute(sql: """
                ALTER TABLE runs ADD COLUMN agent TEXT;
                ALTER TABLE runs ADD COLUMN agentSource TEXT;
                """)
        }
        migrator.registerMigration("v7: user search index") { db in
            // A trigram index for substring search of account, name, email and mobile. Kept in step
            // lazily (rebuilt at the first search after users changed), not by per-row triggers:
            // those tripled the time of a 100,000-user run.
            try db.execute(sql: """
                CREATE VIRTUAL TABLE users_search USING fts5(
                    account, name, email, mobile, content='users', content_rowid='id', tokenize='trigram');
                INSERT OR REPLACE INTO store_facts (key, value) VALUES ('usersSearchStale', '1');
                """)
        }
        migrator.registerMigration("v8: run item tally") { db in
            // How many items of a run fall in each kind, action and class, written when the run
            // ends, so a run's page shows its lists without counting a million items.
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN itemTally TEXT")
        }
        migrator.registerMigration("v9: dataset row digests") { db in
            // A digest of each stored dataset row, so that storing a new version of a dataset
            // (the daily pull, a re-import) rewrites only the rows that changed. NULL for rows
            // stored before: they are rewritten once.
            try db.execute(sql: """
                ALTER TABLE dataset_users ADD COLUMN rowDigest INTEGER;
                ALTER TABLE dataset_groups ADD COLUMN rowDigest INTEGER;
                """)
        }
        migrator.registerMigration("v10: settled users") { db in
            // Each user carries the stamp of the dataset row that last wrote it (see SettledUsers),
            // and its account, email and mobile as the planner compares them, indexed: a run finds
            // the rows it need not plan with one join, and checks a changed row against the users
            // it skipped through these indexes instead of a million-entry table in memory. The stamp's
            // index also holds what the join reads of each user, so the join never reads the table.
            try db.execute(sql: """
                ALTER TABLE users ADD COLUMN sourceDigest INTEGER;
                ALTER TABLE users ADD COLUMN accountKey TEXT NOT NULL DEFAULT '';
                ALTER TABLE users ADD COLUMN emailKey TEXT NOT NULL DEFAULT '';
                ALTER TABLE users ADD COLUMN mobileKey TEXT NOT NULL DEFAULT '';
                """)
            let users = try Row.fetchAll(db, sql: "SELECT id, account, email, mobile FROM users")
            let update = try db.makeStatement(sql: "UPDATE users SET accountKey = ?, emailKey = ?, mobileKey = ? WHERE id = ?")
            for user in users {
                let keys = UserKeys(account: user[1], email: user[2], mobile: user[3])
                try update.execute(arguments: [keys.account, keys.email, keys.mobile, user[0] as Int64])
            }
            try createIndexes(settlingIndexes, db)
        }
        return migrator
    }

    /// The indexes runs settle users with (migration v10), by name.
    static let settlingIndexes = [
        ("users_by_source_digest", "users(sourceDigest, managed, disabledReason, accountType) WHERE sourceDigest IS NOT NULL"),
        ("users_by_external_id", "users(externalId) WHERE externalId <> ''"),
        ("users_by_account_key", "users(accountKey)"),
        ("users_by_email_key", "users(emailKey) WHERE emailKey <> ''"),
        ("users_by_mobile_key", "users(mobileKey) WHERE mobileKey <> ''"),
    ]

    /// The indexes a run that creates more users than the store holds (a first run) drops before its
    /// inserts and builds again after them: building an index once (a sort) took half the time of
    /// a million insertions into it, in random order. These are the settling indexes and the
    /// memberships' index by group. The run's one transaction covers the drop and the rebuild, so
    /// no reader ever sees the store without them, and a kill in between rolls both back.
    static let rebuiltAfterBulkCreation = settlingIndexes + [("memberships_by_group", "memberships(groupId)")]

    /// The audit trail's indexes, rebuilt too when a run's creations outnumber its rows.
    static let auditIndexes = [("user_changes_by_user", "user_changes(userId)"), ("user_changes_by_account", "user_changes(account)")]

    static func dropIndexes(_ indexes: [(String, String)], _ db: Database) throws {
        for (name, _) in indexes { try db.execute(sql: "DROP INDEX \(name)") }
    }

    static func createIndexes(_ indexes: [(String, String)], _ db: Database) throws {
        for (name, definition) in indexes { try db.execute(sql: "CREATE INDEX \(name) ON \(definition)") }
    }

    /// Creates those of `indexes` the store lacks (SQLite's IF NOT EXISTS: nothing is written for
    /// the others).
    static func createMissingIndexes(_ indexes: [(String, String)], _ db: Database) throws {
        for (name, definition) in indexes { try db.execute(sql: "CREATE INDEX IF NOT EXISTS \(name) ON \(definition)") }
    }
}

/// A user's account, email and mobile as runs compare them (`Normalize`), as the store keeps them
/// next to the values.
struct UserKeys: Sendable {
    var account: String
    var email: String
    var mobile: String

    init(account: String, email: String, mobile: String) {
        self.account = Normalize.account(account)
        self.email = Normalize.email(email)
        self.mobile = Normalize.mobile(mobile)
    }

    init(_ user: UserRecord) {
        self.init(account: user.account, email: user.email, mobile: user.mobile)
    }
}
