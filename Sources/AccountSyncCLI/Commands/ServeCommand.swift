import AccountSyncApp
import AccountSyncServer
import ArgumentParser
import Foundation

/// `account-sync serve`: the sync core as a service — the HTTP API, `/healthz` and `/metrics`.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the sync core as a service: the authenticated HTTP API, /healthz and /metrics.",
        discussion: """
            Listens where server.listen says (default 127.0.0.1:8080), with TLS when server.tls gives
            a certificate; plain HTTP on another address than loopback is refused unless
            server.allowPlainHTTP is true (behind a TLS-terminating proxy). Uses the same store and
            run lock as the command line and the timer. SIGTERM stops it gracefully: requests in
            flight finish, and a run in progress rolls back and is recorded INTERRUPTED.

            Example: account-sync serve --config /etc/account-sync/config.yaml
            """)

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let app = try options.app()
        Termination.shared.install()
        let board = ProgressBoard()
        let settings = app.config.server
        let outcome = ServeOutcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                let application = try buildApplication(app: app, settings: settings, logger: app.logger, board: board, halfway: FaultInjection.pauseMidApply())
                app.logger.notice("serving on \(settings.usesTLS ? "https" : "http")://\(settings.host):\(settings.port)")
                try await application.runService()
            } catch {
                outcome.error = error
            }
            done.signal()
        }
        done.wait()
        // A run started here rolls back on SIGTERM; give it the time to record INTERRUPTED.
        board.waitUntilIdle(seconds: 60)
        if let error = outcome.error {
            printError("\(error)")
            throw ExitCode(ExitStatus.configInvalid.rawValue)
        }
    }
}

/// How the server task ended, handed back to the command's thread.
final class ServeOutcome: @unchecked Sendable {
    var error: Error?
}
