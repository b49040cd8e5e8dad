import AccountSyncAgent
import AccountSyncApp
import AccountSyncConfig
import ArgumentParser
import DirectoryConnector
import Foundation
import SyncCore

/// `run` and `pull --push` on a connector agent's host (a config with `core:`): pull from the
/// directory here, push to the core, and (for `run`) let the core run and wait for it.
enum AgentRun {
    /// Pulls and pushes; with `run`, returns the core's finished run. A pull that does not finish
    /// is never pushed: the core records it as a failed SOURCE_INCOMPLETE run with this agent's name.
    static func perform(_ app: AccountSync, core: CoreSettings, run: Bool) throws(AppError) -> RunRecord? {
        let token = try Secrets.coreToken(core.token)
        let client = AgentClient(settings: core, token: token)
        let source = app.config.source.map { "\($0.connection.uris.joined(separator: " ")) \($0.users.base)" } ?? "files"
        let pulled: PulledDatasets
        do {
            pulled = try app.pullFromDirectory()
        } catch {
            guard error.status == .sourceIncomplete else { throw error }
            let recorded = try? blocking { () async throws(AppError) in try await client.reportIncomplete(source: source, reason: error.message) }
            // The same exit code as a local run that records SOURCE_INCOMPLETE.
            throw AppError(run ? .runFailed : .sourceIncomplete, "SOURCE_INCOMPLETE: \(error.message)" + (recorded.flatMap { $0 }.map { " (recorded at the core as run #\($0))" } ?? ""))
        }
        for warning in pulled.warnings { app.logger.warning("\(warning)") }
        let runId = try blocking { () async throws(AppError) in try await client.push(pulled, source: source, run: run) }
        app.logger.notice("pushed \(pulled.users.count) users and \(pulled.groups.count) groups to \(core.url) as agent \(core.agent)")
        guard run, let runId else { return nil }
        return try blocking { () async throws(AppError) in try await client.waitForRun(runId) }
    }

    /// Runs async work from a synchronous command and waits for it.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws(AppError) -> T) throws(AppError) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do throws(AppError) { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

/// Hands an async result to the waiting thread.
final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, AppError>?
}
