// Benchmarks, not tests: they print figures and never fail on timing.
//
//   swift run -c release AccountSyncBench [sync] [USERS] [GROUPS]   (default 100,000 users, 2,000 groups)
//   swift run -c release AccountSyncBench pull [USERS] [OUS]        (default 100,000 users, 1,000 OUs)
//   swift run -c release AccountSyncBench e2e [USERS] [OUS] [BIG]   (default 1,000,000 users, 5,000 OUs,
//                                                                    a group of 200,000 members)
import Foundation

let words = Array(CommandLine.arguments.dropFirst())
let mode = words.first.flatMap { Int($0) == nil ? $0 : nil } ?? "sync"
let numbers = words.compactMap { Int($0) }
switch mode {
case "sync":
    try runSyncBenchmark(userCount: numbers.first ?? 100_000, groupCount: numbers.dropFirst().first ?? 2_000)
case "pull":
    try runPullBenchmark(userCount: numbers.first ?? 100_000, unitCount: numbers.dropFirst().first ?? 1_000)
case "e2e":
    try runEndToEndBenchmark(
        userCount: numbers.first ?? 1_000_000, unitCount: numbers.dropFirst().first ?? 5_000, bigGroup: numbers.dropFirst(2).first ?? 200_000)
default:
    print("usage: AccountSyncBench [sync|pull|e2e] [COUNT] [COUNT] [COUNT]")
    exit(64)
}
