import Foundation

/// Generated-input testing (a small fuzzer that runs inside `swift test`): a seeded generator, so a
/// failure names the seed that reproduces it, and a loop bounded in time. Each target runs for
/// `$ACCOUNT_SYNC_FUZZ_SECONDS` seconds (default 10; raise it to fuzz longer).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public enum GeneratedInputs {
    /// How long each generated-input test runs.
    public static var seconds: Double {
        ProcessInfo.processInfo.environment["ACCOUNT_SYNC_FUZZ_SECONDS"].flatMap(Double.init) ?? 10
    }

    /// Calls `body` with a fresh generator per case until the time is up; returns the number of
    /// cases. `body` gets the case's seed to put in its failure messages. A case that takes longer
    /// than `slowCase` seconds is reported as a hang through `onSlow`.
    @discardableResult
    public static func run(seed: UInt64 = UInt64(Date().timeIntervalSince1970), slowCase: Double = 2, onSlow: (UInt64, Double) -> Void, _ body: (inout SplitMix64, UInt64) throws -> Void) rethrows -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        var cases = 0
        var caseSeed = seed
        while Date() < deadline {
            caseSeed = caseSeed &* 6364136223846793005 &+ 1442695040888963407
            var generator = SplitMix64(seed: caseSeed)
            let started = Date()
            try body(&generator, caseSeed)
            let took = Date().timeIntervalSince(started)
            if took > slowCase { onSlow(caseSeed, took) }
            cases += 1
        }
        return cases
    }

    /// Text of up to `length` characters drawn from `alphabet`.
    public static func text(_ generator: inout SplitMix64, from alphabet: [Character], length: Int) -> String {
        String((0..<Int.random(in: 0...length, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// Damages `elements` in up to five places: replaces, inserts or deletes, with elements drawn
    /// from `damage`.
    public static func damage<Element>(_ elements: inout [Element], with damage: [Element], _ generator: inout SplitMix64) {
        for _ in 0...Int.random(in: 0...4, using: &generator) where !elements.isEmpty {
            let at = Int.random(in: 0..<elements.count, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: elements[at] = damage.randomElement(using: &generator)!
            case 1: elements.insert(damage.randomElement(using: &generator)!, at: at)
            default: elements.remove(at: at)
            }
        }
    }

    /// A mix of the characters that break parsers: separators, quotes, escapes, spaces, line
    /// breaks, controls, non-ASCII letters, emoji and a combining mark.
    public static let hostile: [Character] = Array("abcXYZ019 ,;\"'\\=+<>#*()\n\r\t{}[]:&|!~-_.@/ßé中😀\u{301}\u{7}\u{1B}")
}
