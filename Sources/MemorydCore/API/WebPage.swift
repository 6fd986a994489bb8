import JobkitDaemon

/// The live page at `GET /`: one HTML page, its script and its style sheet, compiled into the binary. It
/// reads `/v1/status`, `/v1/alerts` and `/v1/events` (SSE) like any other client, and loads nothing from
/// anywhere else, which its Content-Security-Policy holds it to.
enum WebPage {
    /// Only this origin, no inline script or style, no framing.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The page, its script and its style sheet, each with its type.
    static let assets: [(path: String, type: String, body: [UInt8])] = [
        ("/", "text/html; charset=utf-8", PackageResources.index_html),
        ("/ui/app.js", "text/javascript; charset=utf-8", PackageResources.app_js),
        ("/ui/app.css", "text/css; charset=utf-8", PackageResources.app_css),
    ]

    /// A route for each asset, open to anyone who reaches a listener.
    static var routes: [Route] {
        assets.map { asset in
            Route(.get, asset.path, .open) { _ in
                HTTPResponse(
                    contentType: asset.type,
                    headers: [
                        ("Content-Security-Policy", contentSecurityPolicy), ("X-Content-Type-Options", "nosniff"),
                        ("Cache-Control", "no-cache"),
                    ], body: asset.body)
            }
        }
    }
}
