import HTTPTypes
import Hummingbird

/// The security headers of every response: no framing, no sniffing, no referrer across origins,
/// a Content-Security-Policy without inline scripts, and HSTS when the server speaks TLS.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let hsts: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = try error.response(from: request, context: context)
        } catch let error as HTTPResponseError {
            // Hummingbird's own errors (a body that does not decode, a route not found) in the
            // API's one error shape: {code, message}.
            let message = (error as? HTTPError)?.body ?? "\(error.status.reasonPhrase)"
            let code = error.status == .notFound ? "NOT_FOUND" : error.status == .badRequest ? "BAD_REQUEST" : "HTTP_\(error.status.code)"
            response = try APIError(error.status, code: code, error.status == .badRequest ? "the request body cannot be read: \(message)" : message)
                .response(from: request, context: context)
        } catch {
            response = try APIError(.internalServerError, code: "INTERNAL", "the request failed: \(error)").response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "same-origin"
        if hsts { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
