// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "account-sync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "account-sync", targets: ["AccountSyncCLI"]),
        .library(name: "SyncCore", targets: ["SyncCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
    ],
    targets: [
        // OpenLDAP's C API: module map and shim header over ldap.h / lber.h (Debian: libldap2-dev).
        .systemLibrary(name: "CLDAP", pkgConfig: "ldap", providers: [.apt(["libldap2-dev"])]),
        // Two threads, one bounded hand-off: one reads or parses while the other writes.
        .target(name: "Pipelining"),
        // A safe Swift API over libldap: connect, TLS, bind, complete paged search, DNs, filter escaping.
        .target(name: "LDAPClient", dependencies: ["CLDAP", "Pipelining"]),
        // Directory → datasets: profiles, OU tree, group objects, nested membership, AD specifics.
        .target(name: "DirectoryConnector", dependencies: ["LDAPClient", "SyncCore"]),
        // Pure logic: datasets, validation, planning, safeguard, license, run report. No I/O.
        .target(name: "SyncCore"),
        // CSV / JSON Lines dataset files → SyncCore datasets, with file:line errors.
        .target(name: "DatasetFormats", dependencies: ["SyncCore"]),
        // The YAML config file, validated with key paths.
        .target(name: "AccountSyncConfig", dependencies: [
            "SyncCore", "DirectoryConnector", "LDAPClient",
            .product(name: "Yams", package: "Yams"),
        ]),
        // Process-wide SQLite settings (sqlite3_config is variadic: C).
        .target(name: "SQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Persistence: the SQLite account store (GRDB).
        .target(name: "SyncStore", dependencies: [
            "SyncCore", "SQLiteTuning", "Pipelining",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),  // binding values directly (BulkStatement)
            .product(name: "Crypto", package: "swift-crypto"),  // dataset row digests
        ]),
        // Use cases the CLI calls: run, import, history, users… (lock, store, core glued together).
        .target(name: "AccountSyncApp", dependencies: [
            "SyncCore", "SyncStore", "DatasetFormats", "AccountSyncConfig", "DirectoryConnector", "LDAPClient", "Pipelining",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The core as a service: the HTTP API, the Admin Center pages, authentication, metrics (Hummingbird). `serve` runs it.
        .target(name: "AccountSyncServer", dependencies: [
            "AccountSyncApp", "SyncCore", "SyncStore", "AccountSyncConfig",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "MultipartKit", package: "multipart-kit"),
        ], resources: [.copy("Resources")]),
        // The connector agent's side of a push: complete datasets, gzip-streamed over HTTPS to the core.
        .target(name: "AccountSyncAgent", dependencies: [
            "AccountSyncApp", "AccountSyncConfig", "DatasetFormats", "DirectoryConnector", "SyncCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "AccountSyncCLI", dependencies: [
            "AccountSyncApp", "SyncCore", "AccountSyncConfig", "DatasetFormats", "AccountSyncServer", "AccountSyncAgent",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Benchmark (not a test): prints figures, never fails on timing.
        .executableTarget(name: "AccountSyncBench", dependencies: [
            "AccountSyncApp", "SyncCore", "SyncStore", "AccountSyncConfig", "SlapdFixture",
        ]),
        .testTarget(name: "SyncCoreTests", dependencies: ["SyncCore"]),
        // Test support: a throwaway slapd on a free loopback port (used by tests only).
        .target(name: "SlapdFixture", path: "Tests/SlapdFixture"),
        .testTarget(name: "LDAPClientTests", dependencies: ["LDAPClient", "Pipelining", "SlapdFixture"]),
        .testTarget(name: "DirectoryConnectorTests", dependencies: ["DirectoryConnector", "LDAPClient", "SyncCore", "SlapdFixture", "AccountSyncConfig"]),
        .testTarget(name: "DatasetFormatsTests", dependencies: ["DatasetFormats", "SyncCore", "SlapdFixture"]),
        .testTarget(name: "AccountSyncConfigTests", dependencies: ["AccountSyncConfig", "SyncCore", "SlapdFixture"]),
        .testTarget(name: "SyncStoreTests", dependencies: [
            "SyncStore", "SyncCore", "AccountSyncApp", "DirectoryConnector", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "AccountSyncServerTests", dependencies: [
            "AccountSyncServer", "AccountSyncApp", "AccountSyncConfig", "SyncCore", "SyncStore", "SlapdFixture",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "AccountSyncCLITests", dependencies: [
            "AccountSyncCLI", "AccountSyncApp", "SyncCore", "SyncStore", "SlapdFixture", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
    ]
)
