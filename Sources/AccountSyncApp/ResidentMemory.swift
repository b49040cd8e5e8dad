import Foundation

/// Hands memory the process has freed back to the system. A pull of a million entries frees a few
/// hundred MB on the threads that read and mapped them, and glibc keeps those threads' arenas
/// resident: measured at 1,000,000 users, the run that followed planned on top of them and peaked
/// that much higher.
enum ResidentMemory {
    /// glibc's `malloc_trim`, which Swift's Glibc module does not import; nil on other C libraries.
    private static let trim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()

    static func releaseFreed() {
        _ = trim?(0)
    }
}
