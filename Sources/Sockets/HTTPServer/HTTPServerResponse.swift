import Inspect

#if canImport(Glibc)
    import Glibc
#endif

/// An open file being served; closed exactly once, when the last reference goes.
public final class OpenFile: @unchecked Sendable {
    public let descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { _ = close(descriptor) }

    /// pread(2) of `length` bytes from `offset`; nil when the file no longer has them.
    func read(offset: Int, length: Int) -> [UInt8]? {
        var body = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let count = body.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + done, length - done, off_t(offset + done))
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            done += count
        }
        return body
    }
}

/// A response the server will send: status, header fields, and where the body comes from.
public struct HTTPServerResponse: Sendable {
    public enum Body: Sendable {
        case none
        case bytes([UInt8])
        /// `length` bytes of the file from `offset` (sent with sendfile(2)).
        case file(OpenFile, offset: Int, length: Int)

        public var length: Int {
            switch self {
            case .none: 0
            case .bytes(let bytes): bytes.count
            case .file(_, _, let length): length
            }
        }
    }

    public var status: Int
    /// Fields besides Date, Server, Content-Length and Connection, which the server adds.
    public var fields: [(name: String, value: String)]
    public var body: Body
    /// The framing length (Content-Length): the body's, even for HEAD, which sends no body.
    public var contentLength: Int
    /// Close the connection after this response.
    public var close: Bool
    /// For the access log: the request it answers (nil when none could be read).
    public var request: HTTPHead?
    /// The request line as received, or "-" (built only when a log line needs it).
    public var requestLine: String {
        guard let request else { return "-" }
        return "\(request.method ?? "-") \(request.target ?? "-") \(request.version)"
    }
    /// Header fields already formatted (with Content-Length), sent before `fields`.
    public var preformattedFields: [UInt8]?
    /// A 1xx response that precedes the final one (only a status line is sent).
    public var isInterim = false
    /// The body is already chunk-encoded (`Transfer-Encoding: chunked` is among `fields`):
    /// no Content-Length is sent.
    public var chunked = false

    public init(status: Int, fields: [(name: String, value: String)] = [], body: Body = .none, close: Bool = false) {
        self.status = status
        self.fields = fields
        self.body = body
        self.contentLength = body.length
        self.close = close
    }

    /// A small HTML page for an error or redirect status.
    public static func page(_ status: Int, _ message: String, close: Bool = false) -> HTTPServerResponse {
        let title = "\(status) \(reason(status))"
        let html =
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>\(title)</title></head>\n"
            + "<body><h1>\(title)</h1><p>\(HTMLText.escape(message))</p><hr><address>netlab</address></body></html>\n"
        return HTTPServerResponse(
            status: status, fields: [("Content-Type", "text/html; charset=utf-8")], body: .bytes(Array(html.utf8)),
            close: close)
    }

    /// Whether a response with this status may carry a body (RFC 9110 §6.4.1).
    static func allowsBody(_ status: Int) -> Bool { !(status / 100 == 1 || status == 204 || status == 304) }

    /// The status line and header section, ready to send (appended in place: no temporaries,
    /// since the events server builds one per request).
    public func head(date: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        bytes.append(contentsOf: String(status).utf8)
        bytes.append(0x20)
        bytes.append(contentsOf: Self.reason(status).utf8)
        bytes.append(contentsOf: "\r\n".utf8)
        if isInterim {
            bytes.append(contentsOf: "\r\n".utf8)
            return bytes
        }
        bytes.append(contentsOf: "Server: netlab\r\nDate: ".utf8)
        bytes.append(contentsOf: date.utf8)
        bytes.append(contentsOf: "\r\n".utf8)
        if let preformattedFields { bytes.append(contentsOf: preformattedFields) }
        let length = preformattedFields == nil && Self.allowsBody(status) && !chunked ? contentLength : nil
        Self.appendFields(fields, contentLength: length, to: &bytes)
        if close { bytes.append(contentsOf: "Connection: close\r\n".utf8) }
        bytes.append(contentsOf: "\r\n".utf8)
        return bytes
    }

    /// `Name: value` lines, then Content-Length when given.
    static func appendFields(_ fields: [(name: String, value: String)], contentLength: Int?, to bytes: inout [UInt8]) {
        for field in fields {
            bytes.append(contentsOf: field.name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            bytes.append(contentsOf: field.value.utf8)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        if let contentLength {
            bytes.append(contentsOf: "Content-Length: ".utf8)
            bytes.append(contentsOf: String(contentLength).utf8)
            bytes.append(contentsOf: "\r\n".utf8)
        }
    }

    /// Bodies up to this size are read into memory and leave with the head in one send.
    static let inlineFileLimit = 16 * 1024

    /// What goes on the wire: the head with the body when it is in memory (or a small file,
    /// read now), and the part of a larger file that sendfile(2) sends after those bytes.
    func wire(date: String) -> (bytes: [UInt8], file: (file: OpenFile, offset: Int, length: Int)?) {
        var bytes = head(date: date)
        switch body {
        case .none:
            return (bytes, nil)
        case .bytes(let body):
            bytes += body
            return (bytes, nil)
        case .file(let file, let offset, let length):
            if length <= Self.inlineFileLimit, let body = file.read(offset: offset, length: length) {
                bytes += body
                return (bytes, nil)
            }
            return (bytes, (file, offset, length))
        }
    }

    /// Reason phrases (RFC 9110 §15).
    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 416: "Range Not Satisfiable"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
