import AccountSyncConfig
import Foundation
import SlapdFixture
import Testing

/// Generated configs: a valid config damaged at random is either read or refused with problems;
/// never a crash or a hang (a case over 2 s fails).
@Suite("Generated config files")
struct GeneratedConfigTests {
    static let valid = """
        store: { path: store.sqlite }
        sync:
          update: daily
          dailyAt: "02:30"
          users: { dataset: people }
          groups: { dataset: org }
          safeguard: { maxUserDeletions: 10, maxUserDeletionPercent: 12.5, window: { days: 7, maxUserDeletions: 30 }, protect: { accounts: [root] } }
          license: { maxUsers: 100 }
        source:
          profile: active-directory
          uri: [ "ldaps://dc1.example.com", "ldaps://dc2.example.com" ]
          bind: { dn: 'CORP\\svc', passwordEnv: BIND_PW }
          timeouts: { network: 10, operation: 60 }
          users: { base: "OU=Staff,DC=corp,DC=example,DC=com", filter: "(&(objectClass=user)(cn=a\\\\2a))" }
          groups: { from: both, placement: under-ou }
        """

    @Test func damagedConfigsAreReadOrRefusedNeverACrash() throws {
        #expect(throws: Never.self) { try ConfigLoader.parse(Self.valid, file: "valid.yaml") }
        let cases = GeneratedInputs.run(onSlow: { seed, took in Issue.record("seed \(seed) took \(took) s") }) { generator, seed in
            var characters = Array(Self.valid)
            let damage: [Character] = Array("&*?:{}[],'\"#|>-\n \t!%@`\\9") + ["\u{0}", "é"]
            GeneratedInputs.damage(&characters, with: damage, &generator)
            do throws(ConfigError) {
                _ = try ConfigLoader.parse(String(characters), file: "gen.yaml")
            } catch {
                #expect(!error.problems.isEmpty, "seed \(seed)")
            }
        }
        #expect(cases > 50)
    }
}
