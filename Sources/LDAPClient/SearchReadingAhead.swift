import Pipelining

extension LDAPConnection {
    /// As `search`, with the reading on a thread of its own: libldap receives and decodes the
    /// next page of entries while `body` works through the last one on this thread. For the big
    /// searches of a pull (a million users), where reading and mapping each take about half of
    /// a core. Entries reach `body` in the server's order, and continuation references reach
    /// `references` on this thread, in their place among them. A failure of `body` (or of the
    /// reference handler) stops the reading within a page and is rethrown as it came; a failed
    /// search is rethrown after `body` has seen the entries before the failure.
    @discardableResult
    public func searchReadingAhead(
        base: String, scope: SearchScope = .subtree, filter: String = "(objectClass=*)", attributes: [String]? = nil,
        pageSize: Int = 500, references: ReferenceHandling = .fail, body: (LDAPEntry) throws -> Void
    ) throws -> Int {
        // The reading thread is the only one to use the connection until it has ended: this
        // thread only takes its pages, and `pipelined` returns after that thread has finished.
        let connection = ReadingConnection(connection: self)
        let decides = if case .decide = references { true } else { false }
        var total = 0
        try pipelined(
            batchesOf: pageSize,
            stopped: { () -> any Error in LDAPError(kind: .cancelled, operation: "search \(base)", message: "the reader of the entries stopped") },
            producing: { (emit: @escaping (ReadItem) throws -> Void) throws in
                try connection.connection.search(
                    base: base, scope: scope, filter: filter, attributes: attributes, pageSize: pageSize,
                    references: decides ? .decide { urls in try emit(.reference(urls)) } : .fail
                ) { entry in try emit(.entry(entry)) }
            },
            consume: { page in
                for item in page {
                    switch item {
                    case .entry(let entry):
                        try body(entry)
                        total += 1
                    case .reference(let urls):
                        if case .decide(let decide) = references { try decide(urls) }
                    }
                }
            })
        return total
    }
}

/// What the reading thread hands over: an entry, or a continuation reference's URLs.
private enum ReadItem: Sendable {
    case entry(LDAPEntry)
    case reference([String])
}

/// The connection, handed to the reading thread of `searchReadingAhead`, which alone uses it
/// while the search runs.
private struct ReadingConnection: @unchecked Sendable {
    let connection: LDAPConnection
}
