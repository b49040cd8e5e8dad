import AccountSyncApp
import Foundation
import HTTPTypes
import Hummingbird

/// Every error the API answers with: JSON `{code, message}` and the right status. The message is
/// written for an administrator; `code` is stable for scripts and tests.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String

    public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func unauthorized() -> APIError {
        APIError(.unauthorized, code: "UNAUTHORIZED", "sign in, or send an API token as 'Authorization: Bearer TOKEN'")
    }

    static func forbidden(_ what: String) -> APIError {
        APIError(.forbidden, code: "FORBIDDEN", "this token may not \(what)")
    }

    static func badParameter(_ name: String, _ problem: String) -> APIError {
        APIError(.badRequest, code: "BAD_PARAMETER", "\(name): \(problem)")
    }

    static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "NOT_FOUND", what)
    }

    /// A use case's error as an HTTP answer.
    init(_ error: AppError) {
        switch error.status {
        case .notFound: self.init(.notFound, code: "NOT_FOUND", error.message)
        case .usage, .dataInvalid: self.init(.badRequest, code: "INVALID", error.message)
        case .runInProgress: self.init(.conflict, code: "RUN_IN_PROGRESS", error.message)
        case .configInvalid: self.init(.internalServerError, code: "CONFIG_INVALID", error.message)
        case .storeUnavailable: self.init(.serviceUnavailable, code: "STORE_UNAVAILABLE", error.message)
        default: self.init(.internalServerError, code: "FAILED", error.message)
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(["code": code, "message": message])
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"account-sync\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Array(body))))
    }
}

/// Runs a use case and turns its error into an `APIError`.
func useCase<T>(_ body: () throws(AppError) -> T) throws(APIError) -> T {
    do { return try body() } catch { throw APIError(error) }
}
