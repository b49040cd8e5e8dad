import Foundation
import LDAPClient
import SlapdFixture
import Testing

/// Generated DNs and filters: any RDN value written by `description` parses back to the same
/// value; any text parses or is refused with a position, strict or lenient; never a crash.
@Suite("Generated DNs and filters")
struct GeneratedDNTests {
    @Test func everyValueRoundTripsThroughItsDNString() throws {
        let cases = try GeneratedInputs.run(onSlow: { seed, took in Issue.record("seed \(seed) took \(took) s") }) { generator, seed in
            let rdns = (1...Int.random(in: 1...4, using: &generator)).map { _ in
                (1...Int.random(in: 1...2, using: &generator)).map { _ in
                    DistinguishedName.Attribute(
                        type: ["cn", "ou", "dc", "uid", "L"].randomElement(using: &generator)!,
                        value: GeneratedInputs.text(&generator, from: GeneratedInputs.hostile, length: 10))
                }
            }.filter { $0.allSatisfy { !$0.value.isEmpty } }
            let dn = DistinguishedName(rdns: rdns)
            let parsed = try DistinguishedName(dn.description)
            #expect(parsed.rdns == dn.rdns, "seed \(seed): \(dn.description)")
            #expect(try DistinguishedName(lenient: dn.description) == dn, "seed \(seed)")
        }
        #expect(cases > 100)
    }

    @Test func anyTextParsesOrIsRefusedWithAPosition() {
        GeneratedInputs.run(onSlow: { seed, took in Issue.record("seed \(seed) took \(took) s") }) { generator, seed in
            let alphabet: [Character] = GeneratedInputs.hostile + ["\u{0}", "#", "0", "F", "\\", "\\", "=", ","]
            let text = GeneratedInputs.text(&generator, from: alphabet, length: 40)
            for lenient in [false, true] {
                do throws(DNParseError) {
                    _ = lenient ? try DistinguishedName(lenient: text) : try DistinguishedName(text)
                } catch {
                    #expect(error.position >= 0 && error.position <= text.utf8.count, "seed \(seed)")
                }
            }
            _ = LDAPFilterSyntax.problem(text)
            _ = LDAPFilterSyntax.problem("(" + text + ")")
            _ = DistinguishedName.withoutOptionalUID(text)
        }
    }

    @Test func escapedFilterValuesAlwaysParse() {
        GeneratedInputs.run(onSlow: { seed, took in Issue.record("seed \(seed) took \(took) s") }) { generator, seed in
            let value = GeneratedInputs.text(&generator, from: GeneratedInputs.hostile + ["\u{0}"], length: 20)
            let filter = LDAPFilter.and([LDAPFilter.equals("uid", value), "(objectClass=person)"])
            #expect(LDAPFilterSyntax.problem(filter) == nil, "seed \(seed): \(filter)")
        }
    }
}
