import Inspect

#if canImport(Glibc)
    import Glibc
#endif

/// An `http://` URL split into what a request needs (RFC 9110 §4.2.1, RFC 3986).
public struct HTTPURL: Sendable, Equatable {
    /// The host as written, without brackets (`example.com`, `127.0.0.1`, `::1`).
    public var host: String
    public var port: UInt16
    /// Path and query, at least `/`.
    public var target: String
    /// What the Host header carries: `host`, `host:port`, `[::1]:8080`.
    public var authority: String

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case unsupportedScheme(String)
        case malformed(String)
        public var description: String {
            switch self {
            case .unsupportedScheme(let scheme):
                "\(scheme):// is not supported: netlab's client speaks plain HTTP (http://) over a socket"
            case .malformed(let why): why
            }
        }
    }

    public static func parse(_ text: String) throws(Problem) -> HTTPURL {
        var rest = Substring(text)
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            let scheme = rest[..<colon].lowercased()
            guard scheme == "http" else { throw .unsupportedScheme(scheme) }
            rest = rest[rest.index(colon, offsetBy: 3)...]
        }
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        let pathStart = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<pathStart]
        var target = String(rest[pathStart...])
        if target.isEmpty { target = "/" }
        if target.hasPrefix("?") { target = "/" + target }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty else { throw .malformed("no host in \(text)") }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .malformed("unclosed [ in \(text)") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .malformed("unexpected text after ] in \(text)") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .malformed("no host in \(text)") }
        var port: UInt16 = 80
        if let portText, !portText.isEmpty {
            guard let value = UInt16(portText), value > 0 else { throw .malformed("bad port \(portText) in \(text)") }
            port = value
        }
        guard target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .malformed("spaces or control characters in the path: percent-encode them (%20)")
        }
        return HTTPURL(host: String(host), port: port, target: target, authority: String(authority))
    }
}

/// HTTP/1.1 over a plain TCP socket, written out in full so students see every byte: the
/// request is built by hand, the response parsed with Inspect's HTTPParser (the same one
/// `netlab sniff --http` and the server use), chunked and Content-Length bodies decoded.
public struct HTTPClient {
    public var method = "GET"
    public var headers: [(name: String, value: String)] = []
    public var body: [UInt8]?
    public var timeout = 10.0
    /// Ask the server to close after the response (`Connection: close`), as a one-shot fetch does;
    /// a load generator keeps its connections.
    public var closeConnection = true
    /// Largest response accepted (head and body).
    public var maxResponseBytes = 64 << 20

    public init() {}

    public struct Response: Sendable {
        public var head: HTTPHead
        public var body: [UInt8]
        /// The response exactly as it arrived.
        public var raw: [UInt8]
        public var peer: SocketAddress?
    }

    public enum Failure: Error, CustomStringConvertible {
        case socket(SocketError)
        case protocolError(String)
        case url(HTTPURL.Problem)
        public var description: String {
            switch self {
            case .socket(let error): error.description
            case .protocolError(let why): why
            case .url(let problem): problem.description
            }
        }
    }

    /// The exact bytes this client sends for `url`.
    public func request(for url: HTTPURL) -> [UInt8] {
        var text = "\(method) \(url.target) HTTP/1.1\r\nHost: \(url.authority)\r\n"
        let names = Set(headers.map { $0.name.lowercased() })
        if !names.contains("user-agent") { text += "User-Agent: netlab/0.1\r\n" }
        if !names.contains("accept") { text += "Accept: */*\r\n" }
        for header in headers { text += "\(header.name): \(header.value)\r\n" }
        if let body {
            if !names.contains("content-type") { text += "Content-Type: application/x-www-form-urlencoded\r\n" }
            text += "Content-Length: \(body.count)\r\n"
        }
        if closeConnection { text += "Connection: close\r\n" }
        text += "\r\n"
        return Array(text.utf8) + (body ?? [])
    }

    /// Connects, sends the request, reads the whole response (to the end of its body).
    public func fetch(_ url: HTTPURL) throws(Failure) -> Response {
        let socket: Socket
        do {
            socket = try Socket.connect(host: url.host, port: url.port, timeout: timeout)
        } catch {
            throw .socket(error)
        }
        defer { socket.close() }
        socket.setTimeout(seconds: timeout)
        do {
            try socket.sendAll(request(for: url))
        } catch {
            throw .socket(error)
        }
        var parser = HTTPParser(kind: .response, lenient: true)
        parser.expectResponse(to: method)
        var raw: [UInt8] = []
        var head: HTTPHead?
        var body: [UInt8] = []
        var finished = false
        let deadline = Clock.now + timeout
        func apply(_ events: [HTTPEvent]) throws(Failure) {
            for event in events {
                switch event {
                case .head(let received):
                    // 1xx responses come before the final one: keep only the last head.
                    head = received
                    body = []
                case .body(let bytes): body += bytes
                case .end:
                    if let status = head?.status, status >= 200 { finished = true }
                case .upgrade, .tunnel: finished = true
                case .failed(let error): throw .protocolError("the response broke HTTP/1.1: \(error)")
                }
            }
        }
        while !finished {
            let remaining = deadline - Clock.now
            var ready = false
            if remaining > 0 {
                do {
                    ready = try socket.wait(for: .readable, timeout: remaining)
                } catch {
                    throw .socket(error)
                }
            }
            guard ready else { throw .socket(SocketError("recv from \(url.authority)", code: ETIMEDOUT)) }
            let chunk: [UInt8]
            do {
                chunk = try socket.receive()
            } catch {
                throw .socket(error)
            }
            if chunk.isEmpty {
                try apply(parser.finish())
                if !finished {
                    throw .protocolError(
                        head == nil
                            ? "the server closed the connection without a response"
                            : "the server closed the connection in the middle of the body")
                }
                break
            }
            raw += chunk
            guard raw.count <= maxResponseBytes else {
                throw .protocolError("response larger than \(maxResponseBytes) bytes; stopped reading")
            }
            try apply(parser.parse(chunk))
        }
        guard let head else { throw .protocolError("no response head") }
        return Response(head: head, body: body, raw: raw, peer: socket.peerAddress)
    }
}
