import AccountSyncApp
import Foundation
import HTTPTypes
import Hummingbird
import Prometheus

/// The service's own routes: `/healthz` (no authentication: it says only whether the store answers
/// and how the last run ended), `/metrics` (Prometheus text) and the OpenAPI document.
struct ServiceController {
    let app: AccountSync
    let registry: PrometheusCollectorRegistry

    func addRoutes(to router: Router<ServerContext>, api: RouterGroup<ServerContext>) {
        router.get("healthz", use: health)
        router.get("metrics", use: metrics)
        api.get("openapi.yaml", use: openAPI)
    }

    @Sendable func health(request: Request, context: ServerContext) async throws -> Response {
        let health = app.health()
        return try JSONResponse.make(health, status: health.status == "ok" ? .ok : .serviceUnavailable)
    }

    /// The figures of the node_exporter textfile for the last run, then the request counters.
    @Sendable func metrics(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        var text = ""
        if let last = try useCase({ () throws(AppError) in try app.history(limit: 1) }).first {
            text += MetricsTextfile.render(last)
        }
        text += registry.emitToString()
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func openAPI(request: Request, context: ServerContext) async throws -> Response {
        _ = try Access.require(.read, context, request: request)
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
    }
}

/// The OpenAPI 3.1 document of `/api/v1`, shipped as a resource; the tests walk every route in it.
public enum OpenAPIDocument {
    public static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml", subdirectory: "Resources"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "openapi: 3.1.0\n" }
        return text
    }()
}
