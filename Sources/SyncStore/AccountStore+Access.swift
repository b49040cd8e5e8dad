import Foundation
import GRDB

/// An administrator of the console: a name and a bcrypt hash (never the password), and a TOTP
/// secret when the second factor is on.
public struct AdminAccount: Sendable, Equatable {
    public var name: String
    public var passwordHash: String
    public var totpSecret: String?
    public var createdAt: Date
}

/// A machine's API token as stored: its name, the SHA-256 of the token (never the token), a scope.
public struct APITokenRecord: Sendable, Equatable {
    public var name: String
    public var scope: String
    public var createdBy: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
}

/// A console session as stored: the SHA-256 of the cookie's id, its admin, its CSRF token, expiry.
public struct SessionRecord: Sendable, Equatable {
    public var admin: String
    public var csrfToken: String
    public var expiresAt: Date
}

extension AccountStore {
    // MARK: Admins

    public func admins() throws(StoreError) -> [AdminAccount] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM admins ORDER BY name").map(Self.admin) }
    }

    public func admin(named name: String) throws(StoreError) -> AdminAccount? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM admins WHERE name = ?", arguments: [name]).map(Self.admin) }
    }

    /// Adds an admin; a name that exists (any case) is a conflict.
    public func addAdmin(name: String, passwordHash: String, at date: Date = Date()) throws(StoreError) {
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM admins WHERE name = ?)", arguments: [name]) != true else {
                throw StoreError(.conflict, "an admin named '\(name)' exists already (names compare case-insensitively)")
            }
            try db.execute(sql: "INSERT INTO admins (name, passwordHash, createdAt, updatedAt) VALUES (?, ?, ?, ?)", arguments: [name, passwordHash, date, date])
        }
    }

    /// Sets an admin's password hash and ends every session of theirs.
    public func setAdminPassword(name: String, passwordHash: String, at date: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE admins SET passwordHash = ?, updatedAt = ? WHERE name = ?", arguments: [passwordHash, date, name])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "no admin named '\(name)' (see: account-sync admins list)") }
            try db.execute(sql: "DELETE FROM sessions WHERE admin = ?", arguments: [name])
        }
    }

    public func setAdminTOTP(name: String, secret: String?, at date: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE admins SET totpSecret = ?, updatedAt = ? WHERE name = ?", arguments: [secret, date, name])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "no admin named '\(name)' (see: account-sync admins list)") }
        }
    }

    public func removeAdmin(name: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: "DELETE FROM admins WHERE name = ?", arguments: [name])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "no admin named '\(name)' (see: account-sync admins list)") }
        }
    }

    private static func admin(_ row: Row) throws -> AdminAccount {
        AdminAccount(
            name: try row.decode(forColumn: "name"), passwordHash: try row.decode(forColumn: "passwordHash"),
            totpSecret: try row.decode(forColumn: "totpSecret"), createdAt: try row.decode(forColumn: "createdAt"))
    }

    // MARK: API tokens

    public func addToken(name: String, tokenHash: String, scope: String, createdBy: String, expiresAt: Date?, at date: Date = Date()) throws(StoreError) {
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE name = ?)", arguments: [name]) != true else {
                throw StoreError(.conflict, "a token named '\(name)' exists already; revoke it or choose another name")
            }
            try db.execute(
                sql: "INSERT INTO api_tokens (name, tokenHash, scope, createdBy, createdAt, expiresAt) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [name, tokenHash, scope, createdBy, date, expiresAt])
        }
    }

    public func tokens() throws(StoreError) -> [APITokenRecord] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_tokens ORDER BY name").map(Self.token) }
    }

    /// The token whose hash this is, if it is valid now (not revoked, not expired); marks it used.
    public func useToken(hash: String, at date: Date = Date()) throws(StoreError) -> APITokenRecord? {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM api_tokens WHERE tokenHash = ?", arguments: [hash]) else { return nil }
            let token = try Self.token(row)
            guard token.revokedAt == nil, token.expiresAt.map({ $0 > date }) ?? true else { return nil }
            if token.lastUsedAt.map({ date.timeIntervalSince($0) > 60 }) ?? true {
                try db.execute(sql: "UPDATE api_tokens SET lastUsedAt = ? WHERE name = ?", arguments: [date, token.name])
            }
            return token
        }
    }

    public func revokeToken(name: String, at date: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE api_tokens SET revokedAt = ? WHERE name = ? AND revokedAt IS NULL", arguments: [date, name])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "no active token named '\(name)' (see: account-sync tokens list)") }
        }
    }

    private static func token(_ row: Row) throws -> APITokenRecord {
        APITokenRecord(
            name: try row.decode(forColumn: "name"), scope: try row.decode(forColumn: "scope"), createdBy: try row.decode(forColumn: "createdBy"),
            createdAt: try row.decode(forColumn: "createdAt"), expiresAt: try row.decode(forColumn: "expiresAt"),
            revokedAt: try row.decode(forColumn: "revokedAt"), lastUsedAt: try row.decode(forColumn: "lastUsedAt"))
    }

    // MARK: Sessions

    public func addSession(idHash: String, admin: String, csrfToken: String, expiresAt: Date, at date: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE expiresAt < ?", arguments: [date])
            try db.execute(
                sql: "INSERT INTO sessions (idHash, admin, csrfToken, createdAt, expiresAt) VALUES (?, ?, ?, ?, ?)",
                arguments: [idHash, admin, csrfToken, date, expiresAt])
        }
    }

    /// The session with this id hash if it has not expired.
    public func session(idHash: String, at date: Date = Date()) throws(StoreError) -> SessionRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT admin, csrfToken, expiresAt FROM sessions WHERE idHash = ? AND expiresAt > ?", arguments: [idHash, date]).map { row in
                SessionRecord(admin: try row.decode(atIndex: 0), csrfToken: try row.decode(atIndex: 1), expiresAt: try row.decode(atIndex: 2))
            }
        }
    }

    public func removeSession(idHash: String) throws(StoreError) {
        try write { db in try db.execute(sql: "DELETE FROM sessions WHERE idHash = ?", arguments: [idHash]) }
    }
}
