import AccountSyncConfig
import Foundation
import SyncCore
import Testing

@Suite("config.yaml")
struct ConfigLoaderTests {
    func problems(_ text: String) -> [ConfigProblem] {
        do {
            _ = try ConfigLoader.parse(text, file: "/etc/account-sync/config.yaml")
            return []
        } catch {
            return error.problems
        }
    }

    @Test func fullConfigIsRead() throws {
        let config = try ConfigLoader.parse("""
            store: { path: data/store.sqlite }
            sync:
              update: daily
              dailyAt: "02:30"
              users: { dataset: people }
              groups: { dataset: org }
              safeguard: { maxUserDeletions: 50, maxGroupDeletions: 3, deletedUsers: remove }
              license: { maxUsers: 1000, maxEditableUsers: 200 }
              ownedFields: [name, email]
              limits: { account: 32 }
            """, file: "/etc/account-sync/config.yaml")
        #expect(config.storePath == "/etc/account-sync/data/store.sqlite")
        #expect(config.update == .daily(hour: 2, minute: 30))
        #expect(config.usersDataset == "people")
        #expect(config.groupsDataset == "org")
        #expect(config.policy.safeguard == DeletionSafeguard(maxUserDeletions: 50, maxGroupDeletions: 3, deletedUsers: .remove))
        #expect(config.policy.license == LicenseLimits(maxUsers: 1000, maxEditableUsers: 200))
        #expect(config.policy.ownedFields == [.name, .email])
        #expect(config.policy.limits.account == 32)
        #expect(config.policy.limits.name == 128)
    }

    @Test func defaultsAreSafe() throws {
        let config = try ConfigLoader.parse("sync: { users: { dataset: people } }", file: "/x/c.yaml")
        #expect(config.update == .manual)
        #expect(config.groupsDataset == nil)
        #expect(config.policy.safeguard.deletedUsers == .disable)
        #expect(config.policy.ownedFields == Set(OwnedField.allCases))
        #expect(config.storePath == Configuration.defaultStorePath)
    }

    @Test func misspeltKeyIsAnErrorWithItsPathAndASuggestion() {
        let found = problems("""
            sync:
              users: { dataset: people }
              safeguard: { maxUserDeletion: 5 }
            """)
        #expect(found.count == 1)
        #expect(found.first?.path == "sync.safeguard.maxUserDeletion")
        #expect(found.first?.line == 3)
        #expect(found.first?.message.contains("did you mean 'maxUserDeletions'") == true)
    }

    @Test func everyProblemIsListedNotJustTheFirst() {
        let found = problems("""
            stor: {}
            sync:
              update: hourly
              users: { dataset: "" }
              safeguard: { maxUserDeletions: -1, deletedUsers: archive }
              license: { maxUsers: lots }
              ownedFields: [name, salary]
            """)
        let paths = found.map(\.path)
        #expect(paths.contains("stor"))
        #expect(paths.contains("sync.update"))
        #expect(paths.contains("sync.users.dataset"))
        #expect(paths.contains("sync.safeguard.maxUserDeletions"))
        #expect(paths.contains("sync.safeguard.deletedUsers"))
        #expect(paths.contains("sync.license.maxUsers"))
        #expect(paths.contains("sync.ownedFields[1]"))
        #expect(found.count == 7)
    }

    @Test(arguments: ["25:00", "2:30", "noon", "12:60"])
    func badDailyTimeIsRefused(time: String) {
        #expect(problems("sync: { update: daily, dailyAt: \"\(time)\", users: { dataset: p } }").map(\.path) == ["sync.dailyAt"])
    }

    @Test func dailyNeedsATime() {
        #expect(problems("sync: { update: daily, users: { dataset: p } }").map(\.path) == ["sync.dailyAt"])
    }

    @Test func aConfigThatSelectsNoDatasetIsRefused() {
        #expect(problems("sync: { update: manual }").first?.message.contains("selects no dataset") == true)
    }

    @Test func invalidYAMLIsReported() {
        #expect(problems("sync: [unclosed").first?.message.contains("not valid YAML") == true)
    }

    @Test func missingFileSaysHowToNameOne() {
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/config.yaml")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.description.contains("no such file"))
        }
    }
}

@Suite("The example configs in config/")
struct ExampleConfigTests {
    @Test(arguments: ["openldap.yaml", "active-directory.yaml", "files.yaml", "agent.yaml"])
    func exampleIsValid(name: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let config = try ConfigLoader.load(path: root.appendingPathComponent("config").appendingPathComponent(name).path)
        if name == "agent.yaml" {
            // An agent: no sync settings of its own; the core's govern.
            #expect(!config.syncPinned && config.core?.agent == "hq-dc1" && config.source?.bindDN == "svc-account-sync@corp.example.com")
            return
        }
        #expect(config.usersDataset != nil)
        if name != "files.yaml" {
            #expect(config.source?.connection.tls.verifyCertificate == true)
            #expect(config.update != .manual)
        }
    }
}
