import Foundation
import Hummingbird
import Prometheus

/// Counts requests and measures their durations per route and status, for `/metrics`.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let registry: PrometheusCollectorRegistry

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var status = 500
        defer {
            let route = context.endpointPath ?? "unmatched"
            let labels = [("method", request.method.rawValue), ("route", route), ("status", String(status))]
            registry.makeCounter(name: "account_sync_http_requests_total", labels: labels).increment()
            registry.makeDurationHistogram(
                name: "account_sync_http_request_duration_seconds", labels: [("method", request.method.rawValue), ("route", route)],
                buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10)]
            ).record(ContinuousClock.now - started)
        }
        do {
            let response = try await next(request, context)
            status = Int(response.status.code)
            return response
        } catch let error as HTTPResponseError {
            status = Int(error.status.code)
            throw error
        }
    }
}
