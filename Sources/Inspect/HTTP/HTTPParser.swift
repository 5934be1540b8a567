/// An incremental HTTP/1.x parser (RFC 9112) for a byte stream that arrives in pieces: feed
/// it whatever `recv` returned or whatever a TCP segment carried, and it reports heads, body
/// bytes and message ends as soon as they are complete. One parser reads one direction of one
/// connection; responses need to know the request methods (`expectResponse(to:)`) because a
/// response to HEAD has no body and a 2xx to CONNECT opens a tunnel.
///
/// Two modes:
/// - strict (servers): CRLF only, no obs-fold — both are rejected with a reason.
/// - lenient (sniffing, clients): a bare LF is accepted when the whole head uses it
///   (RFC 9112 §2.2), and obs-fold is unfolded (§5.2), except where a continuation line looks
///   like a field of its own, or a request head mixes CRLF and LF: both are request-smuggling
///   shapes (§11.2) and are rejected in every mode. A response head may mix them.
/// Everything RFC 9112 requires a recipient to reject is rejected in both modes.
///
/// Events are returned in order; a protocol error ends the list with `.failed`, after the
/// events for the bytes before it, so delivering the same bytes in any pieces gives the same
/// events.
public struct HTTPParser {
    public enum Kind: Sendable { case request, response }

    /// Limits with their defaults (each exceeded limit is an error with its HTTP status).
    public struct Limits: Sendable {
        /// Request or status line, in bytes (414 URI Too Long).
        public var startLine = 8 * 1024
        /// All field lines of a head, in bytes (431).
        public var fieldBytes = 64 * 1024
        /// Number of fields in a head (431).
        public var fieldCount = 100
        /// A chunk-size line, extensions included.
        public var chunkLine = 4 * 1024
        /// Largest body a message may declare or carry (413); nil for no limit.
        public var bodyBytes: Int? = nil
        public init() {}
    }

    public let kind: Kind
    public var limits: Limits
    public let lenient: Bool

    private enum LineEnding { case crlf, lf }

    private enum State {
        case startLine
        case fields
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case tunnel
        case closed
        case failed(HTTPParseError)
    }

    private var state = State.startLine
    /// Bytes received but not yet consumed (only line-oriented states keep any).
    private var pending: [UInt8] = []
    private var start = 0
    /// Bytes consumed since the stream began, for error offsets.
    private var consumed = 0
    private var lineEnding: LineEnding?
    private var startLine: HTTPHead.StartLine?
    private var version = HTTPVersion.http11
    private var fields: [HTTPField] = []
    private var fieldBytes = 0
    private var contentLength: Int?
    private var bodyBytes = 0
    private var methods: [String] = []
    private var upgradeAfterBody = false
    private var closeAfterMessage = false
    private var keepAlive = true
    /// The last field's value before trailing whitespace was trimmed, for obs-fold.
    private var lastValueUntrimmed: [UInt8] = []
    /// Messages completed so far.
    public private(set) var messagesCompleted = 0

    public init(kind: Kind, lenient: Bool = false, limits: Limits = Limits()) {
        self.kind = kind
        self.lenient = lenient
        self.limits = limits
    }

    /// For a response parser: the method of the request this stream's next response answers.
    public mutating func expectResponse(to method: String) { methods.append(method) }

    /// True while a message has started but not ended (at end of stream: a cut-off message).
    public var isInsideMessage: Bool {
        switch state {
        case .startLine: pendingCount > 0
        case .closed, .tunnel, .failed, .untilClose: false
        default: true
        }
    }

    private var pendingCount: Int { pending.count - start }

    /// Parses the next piece of the stream.
    public mutating func parse(_ bytes: some Collection<UInt8>) -> [HTTPEvent] {
        if case .failed(let error) = state { return [.failed(error)] }
        pending.append(contentsOf: bytes)
        var events: [HTTPEvent] = []
        events.reserveCapacity(4)
        do {
            try run(&events)
        } catch {
            state = .failed(error)
            events.append(.failed(error))
        }
        compact()
        return events
    }

    /// The stream ended (the peer closed). Completes a body delimited by the close.
    public mutating func finish() -> [HTTPEvent] {
        if case .failed(let error) = state { return [.failed(error)] }
        var events: [HTTPEvent] = []
        if case .untilClose = state { endMessage(into: &events) }
        return events
    }

    /// The error that stopped the parser, if any.
    public var error: HTTPParseError? {
        if case .failed(let error) = state { return error }
        return nil
    }

    private mutating func compact() {
        if start > 4096 && start * 2 > pending.count {
            pending.removeSubrange(0..<start)
            start = 0
        } else if start == pending.count {
            pending.removeAll(keepingCapacity: true)
            start = 0
        }
    }

    private func failure(_ kind: HTTPParseError.Kind, _ reason: String) -> HTTPParseError {
        HTTPParseError(kind: kind, reason: reason, offset: consumed)
    }

    private mutating func advance(_ count: Int) {
        start += count
        consumed += count
    }

    // MARK: - The state machine

    private mutating func run(_ events: inout [HTTPEvent]) throws(HTTPParseError) {
        while true {
            switch state {
            case .startLine:
                // RFC 9112 §2.2: ignore empty lines before a start line.
                while pendingCount > 0 && (pending[start] == 0x0A || pending[start] == 0x0D) {
                    if pending[start] == 0x0D {
                        guard pendingCount >= 2 else { return }
                        guard pending[start + 1] == 0x0A else {
                            throw failure(.bareCR, "CR without LF before the start line")
                        }
                        advance(2)
                    } else {
                        advance(1)
                    }
                }
                guard pendingCount > 0 else { return }
                guard let line = try nextLine(limit: limits.startLine, tooLong: .startLineTooLong) else {
                    try checkPartialStartLine()
                    return
                }
                try parseStartLine(line)
                state = .fields
            case .fields, .trailers:
                let isTrailer: Bool
                if case .trailers = state { isTrailer = true } else { isTrailer = false }
                if pendingCount > 0, pending[start] == 0x20 || pending[start] == 0x09, fields.isEmpty, !isTrailer {
                    throw failure(
                        .obsoleteLineFolding, "whitespace before the first field (continuation at start of headers)")
                }
                guard let line = try nextLine(limit: limits.fieldBytes - fieldBytes, tooLong: .headersTooLarge) else {
                    return
                }
                fieldBytes += line.count + 2
                if line.isEmpty {
                    if isTrailer {
                        endMessage(into: &events, trailers: fields)
                    } else {
                        try endHead(into: &events)
                    }
                    continue
                }
                try parseFieldLine(line, isTrailer: isTrailer)
            case .body(let remaining):
                let take = min(remaining, pendingCount)
                if take > 0 {
                    events.append(.body(Array(pending[start..<(start + take)])))
                    advance(take)
                }
                if remaining - take == 0 {
                    if upgradeAfterBody {
                        startTunnel(into: &events)
                    } else {
                        endMessage(into: &events)
                    }
                    continue
                }
                state = .body(remaining: remaining - take)
                return
            case .chunkSize:
                guard let line = try nextLine(limit: limits.chunkLine, tooLong: .badChunk) else { return }
                let size = try parseChunkSize(line)
                if size == 0 {
                    fieldBytes = 0
                    fields = []
                    state = .trailers
                } else {
                    bodyBytes += size
                    if let limit = limits.bodyBytes, bodyBytes > limit {
                        throw failure(.bodyTooLarge, "chunked body larger than \(limit) bytes")
                    }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let take = min(remaining, pendingCount)
                if take > 0 {
                    events.append(.body(Array(pending[start..<(start + take)])))
                    advance(take)
                }
                if remaining - take > 0 {
                    state = .chunkData(remaining: remaining - take)
                    return
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard let line = try nextLine(limit: 2, tooLong: .badChunk) else { return }
                guard line.isEmpty else { throw failure(.badChunk, "expected CRLF after chunk data") }
                state = .chunkSize
            case .untilClose, .tunnel:
                if pendingCount > 0 {
                    let rest = Array(pending[start...])
                    advance(rest.count)
                    if case .tunnel = state { events.append(.tunnel(rest)) } else { events.append(.body(rest)) }
                }
                return
            case .closed:
                if pendingCount > 0 {
                    throw failure(.dataAfterClose, "data after a message with Connection: close")
                }
                return
            case .failed(let error):
                throw error
            }
        }
    }

    /// The next line without its line ending, consumed; nil when no complete line has arrived.
    private mutating func nextLine(limit: Int, tooLong: HTTPParseError.Kind) throws(HTTPParseError)
        -> ArraySlice<UInt8>?
    {
        var index = start
        let end = pending.count
        while index < end {
            let byte = pending[index]
            if byte == 0x0A { break }
            if byte == 0x0D && index + 1 < end && pending[index + 1] != 0x0A {
                throw failure(.bareCR, "CR not followed by LF")
            }
            index += 1
        }
        guard index < end else {
            if pendingCount > limit { throw failure(tooLong, limitReason(tooLong)) }
            return nil
        }
        let hasCR = index > start && pending[index - 1] == 0x0D
        let ending: LineEnding = hasCR ? .crlf : .lf
        if let established = lineEnding {
            if established != ending && kind == .request {
                throw failure(.mixedLineEndings, "line endings change from CRLF to LF (or back) inside a message")
            }
        } else {
            if ending == .lf && !lenient { throw failure(.bareLF, "LF without CR at the end of a line") }
            lineEnding = ending
        }
        let line = pending[start..<(hasCR ? index - 1 : index)]
        if line.count > limit { throw failure(tooLong, limitReason(tooLong)) }
        advance(index + 1 - start)
        return line
    }

    private func limitReason(_ kind: HTTPParseError.Kind) -> String {
        switch kind {
        case .startLineTooLong: "start line longer than \(limits.startLine) bytes"
        case .headersTooLarge: "header section larger than \(limits.fieldBytes) bytes"
        default: "chunk-size line longer than \(limits.chunkLine) bytes"
        }
    }

    // MARK: - Start line

    private static let http1Prefix = Array("HTTP/1.".utf8)
    private static let acceptedVersions = ["HTTP/0.9", "HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "RTSP/1.0", "ICE/1.0"]

    private mutating func parseStartLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) {
        fields = []
        fieldBytes = 0
        contentLength = nil
        bodyBytes = 0
        upgradeAfterBody = false
        let parts = Self.splitStartLine(line)
        switch kind {
        case .request:
            guard parts.count >= 2, !parts[0].isEmpty, parts[0].allSatisfy(HTTPSyntax.isTokenByte) else {
                throw failure(.badMethod, "invalid method in request line")
            }
            let method = String(decoding: parts[0], as: UTF8.self)
            guard !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw failure(.badTarget, "invalid request target")
            }
            if parts.count == 2 {
                version = .http09  // `GET /`: an HTTP/0.9 request line
            } else {
                version = try parseVersion(parts[2], method: method)
            }
            startLine = .request(method: method, target: String(decoding: parts[1], as: UTF8.self))
        case .response:
            guard parts.count >= 2 else { throw failure(.badStartLine, "status line without a status code") }
            version = try parseVersion(parts[0], method: nil)
            let code = parts[1]
            guard code.count == 3, code.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw failure(.badStatus, "invalid status code")
            }
            let reason = parts.count == 3 ? parts[2] : []
            guard reason.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw failure(.badStatus, "invalid character in reason phrase")
            }
            let status = code.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            startLine = .response(status: status, reason: String(decoding: reason, as: UTF8.self))
        }
    }

    /// The start line's first two spaces split it into at most three parts (the last part keeps
    /// any further spaces, as a reason phrase may). Empty parts are kept.
    private static func splitStartLine(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        guard let first = line.firstIndex(of: 0x20) else { return [line] }
        let rest = line[(first + 1)...]
        guard let second = rest.firstIndex(of: 0x20) else { return [line[..<first], rest] }
        return [line[..<first], rest[..<second], line[(second + 1)...]]
    }

    private func parseVersion(_ text: ArraySlice<UInt8>, method: String?) throws(HTTPParseError) -> HTTPVersion {
        // The two versions nearly every message has, without building strings.
        if text.count == 8 && text.starts(with: Self.http1Prefix) {
            if text.last == 0x31 { return .http11 }
            if text.last == 0x30 { return .http10 }
        }
        let string = String(decoding: text, as: UTF8.self)
        guard Self.acceptedVersions.contains(string) else {
            if string.hasPrefix("HTTP/") { throw failure(.badVersion, "unsupported HTTP version \(string)") }
            throw failure(.badStartLine, "expected HTTP/, RTSP/ or ICE/ version")
        }
        if string.hasPrefix("ICE/") && method != nil && method != "SOURCE" {
            throw failure(.badStartLine, "ICE/1.0 is only valid with SOURCE")
        }
        let slash = string.firstIndex(of: "/")!
        let digits = string[string.index(after: slash)...].split(separator: ".")
        return HTTPVersion(protocolName: String(string[..<slash]), major: Int(digits[0])!, minor: Int(digits[1])!)
    }

    /// Rejects a start line as soon as its beginning cannot be valid, before its end arrives.
    private func checkPartialStartLine() throws(HTTPParseError) {
        let partial = pending[start...]
        let parts = partial.split(separator: 0x20, omittingEmptySubsequences: false)
        let versionPart: ArraySlice<UInt8>?
        switch kind {
        case .request:
            if let method = parts.first, !method.allSatisfy({ HTTPSyntax.isTokenByte($0) || $0 == 0x0D }) {
                throw failure(.badMethod, "invalid method in request line")
            }
            versionPart = parts.count >= 3 ? parts[2] : nil
        case .response:
            versionPart = parts.first
        }
        guard var version = versionPart else { return }
        if version.last == 0x0D { version = version.dropLast() }
        let text = String(decoding: version, as: UTF8.self)
        if !Self.acceptedVersions.contains(where: { $0.hasPrefix(text) || text.hasPrefix($0) }) {
            if text.hasPrefix("HTTP/") { throw failure(.badVersion, "unsupported HTTP version") }
            throw failure(.badStartLine, "expected HTTP/, RTSP/ or ICE/ version")
        }
    }

    // MARK: - Fields

    private mutating func parseFieldLine(_ line: ArraySlice<UInt8>, isTrailer: Bool) throws(HTTPParseError) {
        if line.first == 0x20 || line.first == 0x09 {
            guard !fields.isEmpty else {
                throw failure(.obsoleteLineFolding, "continuation line at start of fields")
            }
            guard lenient else { throw failure(.obsoleteLineFolding, "obsolete line folding (obs-fold)") }
            let continuation = line.drop { $0 == 0x20 || $0 == 0x09 }
            if let colon = continuation.firstIndex(of: 0x3A), colon > continuation.startIndex,
                continuation[..<colon].allSatisfy(HTTPSyntax.isTokenByte)
            {
                throw failure(.obsoleteLineFolding, "folded line that looks like a field (request smuggling)")
            }
            try checkValueBytes(line)
            // Unfold: drop the line break, keep the whitespace around it (as http-parser does).
            lastValueUntrimmed += line
            var last = fields.removeLast()
            last.rawValue = Array(HTTPSyntax.trimmed(lastValueUntrimmed[...]))
            fields.append(last)
            if last.name.lowercased() == "content-length" { try noteContentLength(last.rawValue) }
            return
        }
        guard let colon = line.firstIndex(of: 0x3A) else {
            throw failure(.badFieldName, "field line without a colon")
        }
        let name = line[..<colon]
        if let last = name.last, last == 0x20 || last == 0x09 {
            throw failure(.whitespaceBeforeColon, "whitespace between field name and colon")
        }
        guard !name.isEmpty, name.allSatisfy(HTTPSyntax.isTokenByte) else {
            throw failure(.badFieldName, "invalid character in field name")
        }
        let value = HTTPSyntax.trimmed(line[(colon + 1)...])
        try checkValueBytes(value)
        lastValueUntrimmed = Array(line[(colon + 1)...].drop { $0 == 0x20 || $0 == 0x09 })
        guard fields.count < limits.fieldCount else {
            throw failure(.tooManyFields, "more than \(limits.fieldCount) fields")
        }
        let field = HTTPField(name: String(decoding: name, as: UTF8.self), rawValue: Array(value))
        fields.append(field)
        if !isTrailer && field.name.lowercased() == "content-length" { try noteContentLength(field.rawValue) }
    }

    private func checkValueBytes(_ value: ArraySlice<UInt8>) throws(HTTPParseError) {
        // field-value = *( VCHAR / SP / HTAB / obs-text ): no other control characters.
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw failure(.badFieldValue, "control character in field value")
        }
    }

    /// Content-Length (RFC 9110 §8.6): digits only; a repeated or list value must agree.
    private mutating func noteContentLength(_ raw: [UInt8]) throws(HTTPParseError) {
        for member in raw.split(separator: 0x2C, omittingEmptySubsequences: false) {
            let digits = HTTPSyntax.trimmed(member)
            guard !digits.isEmpty else { throw failure(.badContentLength, "empty Content-Length") }
            guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw failure(.badContentLength, "invalid character in Content-Length")
            }
            guard digits.count <= 15 else { throw failure(.badContentLength, "Content-Length overflow") }
            let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            if let known = contentLength, known != value {
                throw failure(.conflictingContentLength, "different Content-Length values")
            }
            contentLength = value
        }
    }

    // MARK: - Framing (RFC 9112 §6.3)

    private mutating func endHead(into events: inout [HTTPEvent]) throws(HTTPParseError) {
        guard let startLine else { return }
        let head = HTTPHead(startLine: startLine, version: version, fields: fields)
        let codings = head.tokens("Transfer-Encoding")
        let hasTransferEncoding = head.has("Transfer-Encoding")
        closeAfterMessage = head.tokens("Connection").contains("close")
        keepAlive = head.keepAlive
        events.append(.head(head))
        switch kind {
        case .request:
            let method = head.method ?? ""
            if method == "CONNECT" {
                startTunnel(into: &events)
                return
            }
            upgradeAfterBody = head.has("Upgrade") && head.tokens("Connection").contains("upgrade")
            if hasTransferEncoding {
                guard contentLength == nil else {
                    throw failure(.contentLengthWithTransferEncoding, "Content-Length together with Transfer-Encoding")
                }
                guard codings.last == "chunked", !codings.dropLast().contains("chunked") else {
                    throw failure(.badTransferEncoding, "request Transfer-Encoding must end with chunked")
                }
                state = .chunkSize
            } else if let length = contentLength, length > 0 {
                try checkBodyLimit(length)
                state = .body(remaining: length)
            } else if upgradeAfterBody {
                startTunnel(into: &events)
            } else {
                endMessage(into: &events)
            }
        case .response:
            let status = head.status ?? 0
            let method = methods.first ?? "GET"
            if status == 101 || (method == "CONNECT" && status / 100 == 2) {
                startTunnel(into: &events)
                return
            }
            if status / 100 == 1 {
                // An interim response: the final one to the same request follows.
                events.append(.end(trailers: [], keepAlive: true))
                state = .startLine
                self.startLine = nil
                lineEnding = nil
                return
            }
            if method == "HEAD" || status == 204 || status == 304 {
                endMessage(into: &events)
            } else if hasTransferEncoding {
                state = codings.last == "chunked" ? .chunkSize : .untilClose
            } else if let length = contentLength {
                try checkBodyLimit(length)
                if length == 0 { endMessage(into: &events) } else { state = .body(remaining: length) }
            } else {
                closeAfterMessage = true
                state = .untilClose
            }
        }
    }

    private func checkBodyLimit(_ length: Int) throws(HTTPParseError) {
        if let limit = limits.bodyBytes, length > limit {
            throw failure(.bodyTooLarge, "body of \(length) bytes is larger than \(limit)")
        }
    }

    private mutating func startTunnel(into events: inout [HTTPEvent]) {
        events.append(.upgrade)
        messagesCompleted += 1
        state = .tunnel
    }

    private mutating func endMessage(into events: inout [HTTPEvent], trailers: [HTTPField] = []) {
        let delimitedByClose: Bool
        if case .untilClose = state { delimitedByClose = true } else { delimitedByClose = false }
        events.append(.end(trailers: trailers, keepAlive: keepAlive && !delimitedByClose))
        messagesCompleted += 1
        if kind == .response && !methods.isEmpty { methods.removeFirst() }
        startLine = nil
        lineEnding = nil
        state = closeAfterMessage ? .closed : .startLine
    }

    // MARK: - Chunked coding (RFC 9112 §7.1)

    /// chunk-size [ chunk-ext ], where chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ).
    private func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var index = line.startIndex
        var size = 0
        while index < line.endIndex, let digit = HTTPSyntax.hexValue(line[index]) {
            size = size * 16 + digit
            guard size < 1 << 40 else { throw failure(.badChunk, "chunk size overflow") }
            index += 1
        }
        guard index > line.startIndex else { throw failure(.badChunk, "invalid character in chunk size") }
        func skipWhitespace() {
            while index < line.endIndex && (line[index] == 0x20 || line[index] == 0x09) { index += 1 }
        }
        while true {
            let beforeWhitespace = index
            skipWhitespace()
            if index == line.endIndex {
                // BWS is only allowed before a ";" (llhttp and RFC 9112 §7.1.1 agree).
                guard index == beforeWhitespace else { throw failure(.badChunk, "whitespace after chunk size") }
                return size
            }
            guard line[index] == 0x3B else { throw failure(.badChunk, "invalid character in chunk size") }
            index += 1
            skipWhitespace()
            let nameStart = index
            while index < line.endIndex && HTTPSyntax.isTokenByte(line[index]) { index += 1 }
            guard index > nameStart else { throw failure(.badChunk, "empty chunk extension name") }
            skipWhitespace()
            if index < line.endIndex && line[index] == 0x3D {
                index += 1
                skipWhitespace()
                if index < line.endIndex && line[index] == 0x22 {
                    index += 1
                    var closed = false
                    while index < line.endIndex {
                        let byte = line[index]
                        if byte == 0x5C {
                            index += 2
                            continue
                        }
                        index += 1
                        if byte == 0x22 {
                            closed = true
                            break
                        }
                    }
                    guard closed else { throw failure(.badChunk, "unterminated quoted chunk extension value") }
                } else {
                    let valueStart = index
                    while index < line.endIndex && HTTPSyntax.isTokenByte(line[index]) { index += 1 }
                    guard index > valueStart else { throw failure(.badChunk, "empty chunk extension value") }
                }
            }
        }
    }
}

/// Character classes from RFC 9110 §5.6.
enum HTTPSyntax {
    /// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
        default: false
        }
    }

    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }

    /// Without leading and trailing SP / HTAB (OWS).
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice
    }
}
