import Inspect

/// The few dynamic answers `netlab server http --demo-endpoints` adds for lesson 15 (HTTP in
/// depth), so a student sees on the wire what a static server never sends:
/// - `GET /counter`: a real cookie session. The answer carries `Set-Cookie: visits=N`, N one
///   more than the `visits` the request's Cookie header brought back (0 without one): the
///   server keeps no state, the client carries it.
/// - `GET /status/CODE`: a page with that status (200–599 but 204 and 304, which have no body),
///   e.g. `/status/500` for a server error.
/// - `GET /chunked`: a body sent with `Transfer-Encoding: chunked` (to HTTP/1.1 clients; an
///   HTTP/1.0 client cannot read chunks and gets Content-Length, RFC 9112 §6.1).
/// - `POST /echo`: the request body sent back with the request's Content-Type.
/// Off by default: the static server stays static. Everything is bounded: the body by the
/// parser's limit (413 beyond), the counter to nine digits, the echoed type to 200 bytes.
enum DemoEndpoints {
    /// The answer for `head` when its path is a demo endpoint; nil otherwise (a file is served).
    static func respond(to head: HTTPHead, body: [UInt8]) -> HTTPServerResponse? {
        let target = head.target ?? "/"
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let method = head.method ?? "GET"
        switch path {
        case "/counter":
            return onlyRead(method) ?? counter(head)
        case "/chunked":
            return onlyRead(method) ?? chunked(http10: head.version.minor == 0)
        case "/echo":
            guard method == "POST" else { return notAllowed(method, allow: "POST") }
            return echo(head, body: body)
        default:
            guard path.hasPrefix("/status/") else { return nil }
            return onlyRead(method) ?? status(String(path.dropFirst(8)))
        }
    }

    private static func onlyRead(_ method: String) -> HTTPServerResponse? {
        method == "GET" || method == "HEAD" ? nil : notAllowed(method, allow: "GET, HEAD")
    }

    private static func notAllowed(_ method: String, allow: String) -> HTTPServerResponse {
        var response = HTTPServerResponse.page(405, "This endpoint does not take \(method).")
        response.fields.append(("Allow", allow))
        return response
    }

    /// The `visits` value a request's cookies bring back: digits only, at most nine of them;
    /// anything else counts as no visit (a forged or broken cookie never traps or overflows).
    static func visits(_ head: HTTPHead) -> Int {
        for header in head.values("Cookie") {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(" ")
                }
                guard parts.count == 2, parts[0] == "visits" else { continue }
                let digits = parts[1]
                guard !digits.isEmpty, digits.utf8.count <= 9, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
                else { return 0 }
                return Int(digits) ?? 0
            }
        }
        return 0
    }

    private static func counter(_ head: HTTPHead) -> HTTPServerResponse {
        let count = min(visits(head) + 1, 999_999_999)
        let text = "visits: \(count)\n"
        return HTTPServerResponse(
            status: 200,
            fields: [
                ("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store"),
                ("Set-Cookie", "visits=\(count); Path=/; HttpOnly"),
            ],
            body: .bytes(Array(text.utf8)))
    }

    /// The chunks `/chunked` sends, each its own chunk on the wire.
    static let chunks = [
        "chunk 1: each chunk starts with its size in hex and CRLF\n",
        "chunk 2: so the server need not know the total length in advance\n",
        "chunk 3: a chunk of size 0 ends the body\n",
    ]

    private static func chunked(http10: Bool) -> HTTPServerResponse {
        let type = ("Content-Type", "text/plain; charset=utf-8")
        guard !http10 else {
            return HTTPServerResponse(status: 200, fields: [type], body: .bytes(Array(chunks.joined().utf8)))
        }
        var body: [UInt8] = []
        for chunk in chunks {
            body += Array((String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n").utf8)
        }
        body += Array("0\r\n\r\n".utf8)
        var response = HTTPServerResponse(
            status: 200, fields: [type, ("Transfer-Encoding", "chunked")], body: .bytes(body))
        response.chunked = true
        return response
    }

    private static func status(_ code: String) -> HTTPServerResponse? {
        guard code.utf8.count == 3, let status = Int(code), (200...599).contains(status), status != 204, status != 304
        else { return .page(404, "/status/CODE takes a status from 200 to 599 (not 204 or 304).") }
        return .page(status, "Status \(status), as asked: a demo endpoint of netlab server http.")
    }

    private static func echo(_ head: HTTPHead, body: [UInt8]) -> HTTPServerResponse {
        // The parser already refused CR, LF and NUL in field values; the length is bounded here.
        let asked = head.values("Content-Type").first ?? ""
        let type = asked.isEmpty || asked.utf8.count > 200 ? "application/octet-stream" : asked
        return HTTPServerResponse(status: 200, fields: [("Content-Type", type)], body: .bytes(body))
    }
}
