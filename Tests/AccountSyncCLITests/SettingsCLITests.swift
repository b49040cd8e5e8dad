import Foundation
import Testing

/// Sync settings versioned in the store when the config file does not pin them.
@Suite("Sync settings in the store, versioned", .serialized)
struct SettingsCLITests {
    @Test func withoutASyncSectionTheStoresVersionsGovernAndEachRunRecordsItsVersion() throws {
        let cli = try CLI(config: "store: { path: store.sqlite }\n")
        try cli.importSample()
        let none = try cli.run("run")
        #expect(none.status == 78)
        #expect(none.stderr.contains("there are no sync settings yet"))
        #expect(try cli.run("config", "validate").stdout.contains("from the store, versioned"))

        #expect(try cli.run("settings", "set", "users.dataset", "people").status == 0)
        #expect(try cli.run("settings", "set", "groups.dataset", "org").stdout.contains("saved settings version 2"))
        let bad = try cli.run("settings", "set", "safeguard.maxUserDeletions", "lots")
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("sync.safeguard.maxUserDeletions: 'lots' is not a whole number"))
        let typo = try cli.run("settings", "set", "safeguard.maxUserDeletion", "5")
        #expect(typo.stderr.contains("did you mean 'maxUserDeletions'?"))

        let (status, run) = try cli.json("run", "--json")
        #expect(status == 0)
        #expect(run["settingsVersion"] as? Int == 2)
        #expect((run["counts"] as? [String: Int])?["usersCreated"] == 2)

        let history = try cli.run(["settings", "history"], environment: ["SUDO_USER": "jdoe"]).stdout
        #expect(history.contains("version 2"))
        #expect(history.contains("sync.groups.dataset: '' → 'org'"))
        let shown = try cli.run("settings", "show").stdout
        #expect(shown.contains("settings version 2") && shown.contains("\"maxUserDeletions\" : 10"))

        let file = try cli.write("sync.yaml", "users: { dataset: people }\ngroups: { dataset: org }\nupdate: daily\ndailyAt: \"03:00\"\n")
        #expect(try cli.run("settings", "edit", file).stdout.contains("saved settings version 3"))
        #expect(try cli.run("run", "--scheduled").status == 0)
    }

    @Test func aSyncSectionPinsTheSettings() throws {
        let cli = try CLI()
        let result = try cli.run("settings", "set", "safeguard.maxUserDeletions", "20")
        #expect(result.status == 64)
        #expect(result.stderr.contains("managed in the config file"))
        #expect(try cli.run("settings", "show").stdout.contains("# pinned by"))
    }
}
