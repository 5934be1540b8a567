/// An incremental HTTP/1.x parser (RFC 9112) for a byte stream that arrives in pieces: feed
/// it whatever `recv` returned or whatever a TCP segment carried, and it reports heads, body
/// bytes and message ends as soon as they are complete. One parser reads one direction of one
/// connection; responses need to know the request methods (`expectResponse(to:)`) because a
/// response to HEAD has no body and a 2xx to CONNECT opens a tunnel.
///
/// Two modes:
/// - strict (servers): what RFC 9112 lets a recipient refuse is refused with a reason: bare LF,
///   obs-fold, whitespace before a colon, Content-Length with Transfer-Encoding, data after
///   `Connection: close`, a request line without a version.
/// - lenient (sniffing): each of those is read the way browsers and proxies read it and
///   reported as an `HTTPWarning` (`takeWarnings()`) naming the rule a strict peer applies, at
///   the place where the strict parser fails. Still rejected in every mode: a continuation
///   line that looks like a field of its own, and a request head that mixes CRLF and LF (both
///   request-smuggling shapes, §11.2), and what leaves the framing undecidable.
/// A method is any token (RFC 9110 §9.1); empty lines before a start line are skipped and
/// counted (`HTTPHead.emptyLinesBefore`); any `HTTP/DIGIT.DIGIT` version is read (a server
/// answers 505 for a major version it does not speak, RFC 9110 §2.5).
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
    /// Where the last line `nextLine` returned starts in `pending` (error excerpts begin there).
    private var lineFloor = 0
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
    /// The whitespace trimmed from the end of the last field's value, for obs-fold (usually
    /// none, so nothing is allocated per field).
    private var lastValueTrailing: [UInt8] = []
    /// Messages completed so far.
    public private(set) var messagesCompleted = 0
    /// Heads reported so far (interim 1xx responses included): the index of the next message.
    private var headsReported = 0
    /// Whether the message being read has had its head reported.
    private var headReported = false
    private var emptyLines = 0
    /// The first Content-Length problem of this head: an error unless Transfer-Encoding decides the framing.
    private var contentLengthProblem: HTTPParseError?
    /// Stream offset of this head's first Content-Length line.
    private var contentLengthOffset: Int?
    private var warnings: [HTTPWarning] = []
    /// The message each kind was last warned about (one warning per kind and message).
    private var lastWarned: [HTTPParseError.Kind: Int] = [:]
    /// After an error inside a head: the start line and the fields read before it.
    public private(set) var partialHead: HTTPHead?

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
        do {
            try run(&events)
        } catch {
            if !headReported, let startLine {
                partialHead = HTTPHead(
                    startLine: startLine, version: version, fields: fields, emptyLinesBefore: emptyLines)
            }
            state = .failed(error)
            events.append(.failed(error))
        }
        compact()
        return events
    }

    /// Bytes of the stream consumed so far (an error's offset is at or after this point, and
    /// later bytes are held until a line completes).
    public var streamOffset: Int { consumed }

    /// What lenient mode accepted since the last call, in stream order (always empty in strict mode).
    public mutating func takeWarnings() -> [HTTPWarning] {
        defer { warnings.removeAll() }
        return warnings
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
            lineFloor = 0
        } else if start == pending.count {
            pending.removeAll(keepingCapacity: true)
            start = 0
            lineFloor = 0
        }
    }

    /// An error at `index` in `pending` (by default the first byte not yet consumed), with the
    /// line around it.
    ///
    /// The rule that keeps every split of the stream giving the same error: an error is
    /// reported at the earliest byte that shows it, and what it says depends only on bytes up
    /// to that point (for a byte inside a line: up to the line's end, which has arrived). So a
    /// CR named as the offending byte is a bare CR when the byte after it (in the same line)
    /// is not LF; an error without an index (a limit, a framing decided at the end of a head,
    /// data after close) is never relabelled by bytes that follow it, which may not have
    /// arrived yet.
    private func failure(_ kind: HTTPParseError.Kind, _ reason: String, at index: Int? = nil) -> HTTPParseError {
        let at = min(max(index ?? start, 0), pending.count)
        // Not before the line the error is in: earlier bytes may be gone, depending on the split.
        let floor = at >= start ? start : lineFloor
        if index != nil, kind != .bareCR, at + 1 < pending.count, pending[at] == 0x0D, pending[at + 1] != 0x0A {
            return failure(.bareCR, "CR not followed by LF", at: at)
        }
        var lineStart = at
        while lineStart > floor && at - lineStart < 80 && pending[lineStart - 1] != 0x0A { lineStart -= 1 }
        // Up to and including the offending byte: what follows may not have arrived yet, and
        // the error must be the same for every split of the stream.
        var lineEnd = min(index == nil ? at : at + 1, pending.count)
        while lineEnd > lineStart && (pending[lineEnd - 1] == 0x0A || pending[lineEnd - 1] == 0x0D) { lineEnd -= 1 }
        return HTTPParseError(
            kind: kind, reason: reason, offset: consumed - start + at, line: Array(pending[lineStart..<lineEnd]))
    }

    /// Something a strict recipient refuses: an error in strict mode; in lenient mode a warning
    /// (once per kind and message), and parsing goes on.
    /// `readAs` says how lenient mode reads it (added to the warning's reason).
    private mutating func tolerate(
        _ kind: HTTPParseError.Kind, _ reason: String, readAs: String, at index: Int? = nil
    ) throws(HTTPParseError) {
        try tolerate(failure(kind, reason, at: index), readAs: readAs)
    }

    private mutating func tolerate(_ error: HTTPParseError, readAs: String) throws(HTTPParseError) {
        guard lenient else { throw error }
        let kind = error.kind
        let message = headReported ? headsReported - 1 : headsReported
        if lastWarned[kind] == message { return }
        lastWarned[kind] = message
        warnings.append(
            HTTPWarning(kind: kind, reason: error.reason + ", " + readAs, offset: error.offset, message: message))
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
                // RFC 9112 §2.2: ignore (and count) empty lines before a start line.
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
                    emptyLines += 1
                }
                guard pendingCount > 0 else { return }
                // A line not complete yet is checked as far as it goes, in the order a complete
                // one is, so an error is found at the same byte whatever the pieces were (a bad
                // byte within the limit wins over the length).
                let line: ArraySlice<UInt8>
                do {
                    guard let complete = try nextLine(limit: limits.startLine, tooLong: .startLineTooLong) else {
                        try checkPartialStartLine()
                        return
                    }
                    line = complete
                } catch {
                    try checkPartialStartLine()
                    throw error
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
                        throw failure(.bodyTooLarge, "chunked body larger than \(limit) bytes", at: line.startIndex)
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
                // Judged byte by byte, not as a line: the first byte that is not the line end
                // is the error, however many bytes have arrived after it.
                guard try chunkDataEnd() else { return }
                state = .chunkSize
            case .untilClose, .tunnel:
                if pendingCount > 0 {
                    let rest = Array(pending[start...])
                    advance(rest.count)
                    if case .tunnel = state { events.append(.tunnel(rest)) } else { events.append(.body(rest)) }
                }
                return
            case .closed:
                guard pendingCount > 0 else { return }
                // A server stops reading here (RFC 9112 §9.6); a sniffer reads on to show what came.
                try tolerate(
                    .dataAfterClose,
                    "data after a message that closes the connection (Connection: close, or HTTP/1.0 without "
                        + "keep-alive)", readAs: "read as the next message")
                closeAfterMessage = false
                state = .startLine
            case .failed(let error):
                throw error
            }
        }
    }

    /// The next line without its line ending, consumed; nil when no complete line has arrived.
    private mutating func nextLine(limit: Int, tooLong: HTTPParseError.Kind) throws(HTTPParseError)
        -> ArraySlice<UInt8>?
    {
        let end = pending.count
        // A CR not followed by LF stays in the line: the check of the part it is in rejects
        // it (as `bareCR`), so the first bad byte decides for every split of the bytes.
        let index = pending.withUnsafeBufferPointer { bytes in
            UnsafeBufferPointer(rebasing: bytes[start..<end]).firstIndex(of: 0x0A).map { start + $0 } ?? end
        }
        guard index < end else {
            // A CR at the end may be this line's CRLF, which does not count toward the limit.
            let waiting = pendingCount - (pending.last == 0x0D ? 1 : 0)
            if waiting > limit { throw failure(tooLong, limitReason(tooLong)) }
            return nil
        }
        let hasCR = index > start && pending[index - 1] == 0x0D
        let line = pending[start..<(hasCR ? index - 1 : index)]
        // The limit first: in pieces it trips before the line ending has arrived.
        if line.count > limit { throw failure(tooLong, limitReason(tooLong)) }
        try checkLineEnding(hasCR ? .crlf : .lf, at: index)
        lineFloor = start
        advance(index + 1 - start)
        return line
    }

    /// The CRLF (or, as the message's other lines end, LF) after chunk data, consumed; false
    /// while it has not fully arrived. Anything else is an error at its first byte (a CR
    /// followed by another byte: a bare CR).
    private mutating func chunkDataEnd() throws(HTTPParseError) -> Bool {
        guard pendingCount > 0 else { return false }
        let length: Int
        switch pending[start] {
        case 0x0A:
            length = 1
        case 0x0D:
            guard pendingCount >= 2 else { return false }
            guard pending[start + 1] == 0x0A else {
                throw failure(.badChunk, "expected CRLF after chunk data", at: start)
            }
            length = 2
        default:
            throw failure(.badChunk, "expected CRLF after chunk data", at: start)
        }
        try checkLineEnding(length == 2 ? .crlf : .lf, at: start + length - 1)
        advance(length)
        return true
    }

    /// A line ending must match the message's first one (the first LF-only ending is tolerated
    /// in lenient mode); `index` is the LF.
    private mutating func checkLineEnding(_ ending: LineEnding, at index: Int) throws(HTTPParseError) {
        if let established = lineEnding {
            if established != ending {
                let reason = "line endings change from CRLF to LF (or back) inside a message"
                if kind == .request { throw failure(.mixedLineEndings, reason, at: index) }
                try tolerate(.mixedLineEndings, reason, readAs: "read as line ends", at: index)
            }
        } else {
            if ending == .lf {
                try tolerate(.bareLF, "LF without CR at the end of a line", readAs: "read as a line end", at: index)
            }
            lineEnding = ending
        }
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
    /// Protocol names a version may have: HTTP, and the RTSP/ICE variants llhttp also reads (1.0 only).
    private static let protocolNames = ["HTTP/", "RTSP/", "ICE/"].map { Array($0.utf8) }

    /// request-line = method SP request-target SP HTTP-version (RFC 9112 §3), method = token;
    /// status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] (§4).
    private mutating func parseStartLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) {
        fields = []
        fields.reserveCapacity(12)  // grown once, not 1, 2, 4, 8 for a typical head
        fieldBytes = 0
        contentLength = nil
        contentLengthProblem = nil
        contentLengthOffset = nil
        bodyBytes = 0
        upgradeAfterBody = false
        let parts = Self.splitStartLine(line)
        switch kind {
        case .request:
            if let bad = parts[0].firstIndex(where: { !HTTPSyntax.isTokenByte($0) }) {
                throw failure(.badMethod, "invalid character in method (a method is a token)", at: bad)
            }
            guard !parts[0].isEmpty else {
                throw failure(.badMethod, "request line without a method", at: line.startIndex)
            }
            guard parts.count >= 2 else {
                throw failure(.badStartLine, "request line without a space after the method", at: line.endIndex)
            }
            let method = String(decoding: parts[0], as: UTF8.self)
            guard !parts[1].isEmpty else { throw failure(.badTarget, "empty request target", at: parts[1].startIndex) }
            if let bad = parts[1].firstIndex(where: { $0 <= 0x20 || $0 >= 0x7F }) {
                throw failure(.badTarget, "invalid character in request target", at: bad)
            }
            if parts.count == 2 {
                try tolerate(
                    .missingVersion, "request line without an HTTP version", readAs: "read as HTTP/0.9",
                    at: line.endIndex)
                version = .http09
            } else {
                version = try parseVersion(parts[2], method: method)
            }
            startLine = .request(method: method, target: String(decoding: parts[1], as: UTF8.self))
        case .response:
            version = try parseVersion(parts[0], method: nil)
            guard parts.count >= 2 else {
                throw failure(.badStatus, "status line without a status code", at: line.endIndex)
            }
            let code = parts[1]
            guard code.count == 3, code.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw failure(.badStatus, "status code is not three digits", at: code.startIndex)
            }
            let reason = parts.count == 3 ? parts[2] : []
            if let bad = reason.firstIndex(where: { !($0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F)) }) {
                throw failure(.badStatus, "control character in reason phrase", at: bad)
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

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3); RTSP/1.0 and ICE/1.0 as llhttp reads them.
    private func parseVersion(_ text: ArraySlice<UInt8>, method: String?) throws(HTTPParseError) -> HTTPVersion {
        // The two versions nearly every message has, without building strings.
        if text.count == 8 && text.starts(with: Self.http1Prefix) {
            if text.last == 0x31 { return .http11 }
            if text.last == 0x30 { return .http10 }
        }
        guard let name = Self.protocolNames.first(where: { text.starts(with: $0) }) else {
            throw versionError(text)
        }
        let digits = text.dropFirst(name.count)
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        guard digits.count == 3, isDigit(digits.first!), digits.dropFirst().first == 0x2E, isDigit(digits.last!)
        else {
            throw versionError(text)
        }
        let version = HTTPVersion(
            protocolName: String(decoding: name.dropLast(), as: UTF8.self), major: Int(digits.first! - 0x30),
            minor: Int(digits.last! - 0x30))
        if version.protocolName != "HTTP" {
            guard version.major == 1 && version.minor == 0 else {
                throw failure(.badVersion, "\(version.protocolName) is only read in version 1.0", at: text.startIndex)
            }
            if version.protocolName == "ICE" && method != nil && method != "SOURCE" {
                throw failure(.badStartLine, "ICE/1.0 is only valid with SOURCE", at: text.startIndex)
            }
        }
        return version
    }

    /// The same error whether the version was seen whole or only its beginning.
    private func versionError(_ text: ArraySlice<UInt8>) -> HTTPParseError {
        if Self.protocolNames.contains(where: { text.starts(with: $0) }) {
            return failure(.badVersion, "the version is not HTTP/DIGIT.DIGIT", at: text.startIndex)
        }
        return failure(.badVersion, "expected an HTTP/ version", at: text.startIndex)
    }

    /// Whether `text` can still grow into a version (`HTTP/1.1`, …) as more bytes arrive.
    private static func couldBeVersion(_ text: ArraySlice<UInt8>) -> Bool {
        protocolNames.contains { name in
            if text.count <= name.count { return name.starts(with: text) }
            guard text.starts(with: name) else { return false }
            let digits = Array(text.dropFirst(name.count))
            let pattern: [(UInt8) -> Bool] = [
                { $0 >= 0x30 && $0 <= 0x39 }, { $0 == 0x2E }, { $0 >= 0x30 && $0 <= 0x39 },
            ]
            return digits.count <= 3 && zip(digits, pattern).allSatisfy { $1($0) }
        }
    }

    /// Rejects a start line as soon as its beginning cannot be valid, before its end arrives.
    private func checkPartialStartLine() throws(HTTPParseError) {
        var end = start
        while end < pending.count && end - start <= limits.startLine && pending[end] != 0x0A { end += 1 }
        var partial = pending[start..<end]
        // A CR at the end may be the line's CRLF.
        if partial.last == 0x0D && (end == pending.count || pending[end] == 0x0A) { partial = partial.dropLast() }
        let parts = partial.split(separator: 0x20, omittingEmptySubsequences: false)
        let versionPart: ArraySlice<UInt8>?
        switch kind {
        case .request:
            if let method = parts.first, let bad = method.firstIndex(where: { !HTTPSyntax.isTokenByte($0) }) {
                throw failure(.badMethod, "invalid character in method (a method is a token)", at: bad)
            }
            if parts.count >= 2 && parts[0].isEmpty {
                throw failure(.badMethod, "request line without a method", at: parts[0].startIndex)
            }
            if parts.count >= 3 && parts[1].isEmpty {
                throw failure(.badTarget, "empty request target", at: parts[1].startIndex)
            }
            if parts.count >= 2, let bad = parts[1].firstIndex(where: { $0 <= 0x20 || $0 >= 0x7F }) {
                throw failure(.badTarget, "invalid character in request target", at: bad)
            }
            versionPart = parts.count >= 3 ? parts[2] : nil
        case .response:
            versionPart = parts.first
        }
        guard let version = versionPart else { return }
        if !Self.couldBeVersion(version) { throw versionError(version) }
    }

    // MARK: - Fields

    private mutating func parseFieldLine(_ line: ArraySlice<UInt8>, isTrailer: Bool) throws(HTTPParseError) {
        if line.first == 0x20 || line.first == 0x09 {
            guard !fields.isEmpty else {
                throw failure(.obsoleteLineFolding, "continuation line at start of fields")
            }
            let continuation = line.drop { $0 == 0x20 || $0 == 0x09 }
            if let colon = continuation.firstIndex(of: 0x3A), colon > continuation.startIndex,
                continuation[..<colon].allSatisfy(HTTPSyntax.isTokenByte)
            {
                throw failure(
                    .obsoleteLineFolding, "folded line that looks like a field (request smuggling)",
                    at: line.startIndex)
            }
            try checkValueBytes(line)
            try tolerate(
                .obsoleteLineFolding, "obsolete line folding (obs-fold)",
                readAs: "unfolded into the previous field", at: line.startIndex)
            // Unfold: drop the line break, keep the whitespace around it (as http-parser does).
            var last = fields.removeLast()
            let untrimmed = last.rawValue + lastValueTrailing + line
            last.rawValue = Array(HTTPSyntax.trimmed(untrimmed[...]))
            let lastByte = untrimmed.lastIndex { $0 != 0x20 && $0 != 0x09 }
            lastValueTrailing = Array(untrimmed[(lastByte.map { $0 + 1 } ?? 0)...])
            fields.append(last)
            if !isTrailer && HTTPField.sameName(last.name, "Content-Length") {
                contentLength = nil  // the unfolded value replaces the line's
                contentLengthProblem = nil
                try noteContentLength(last.rawValue, at: line.startIndex)
            }
            return
        }
        if try parseOrdinaryFieldLine(line, isTrailer: isTrailer) { return }
        // Anything unusual is read (and its error found) step by step below.
        guard let colon = line.firstIndex(of: 0x3A) else {
            throw failure(.badFieldName, "field line without a colon", at: line.startIndex)
        }
        var name = line[..<colon]
        if let bad = name.firstIndex(where: { !HTTPSyntax.isTokenByte($0) && $0 != 0x20 && $0 != 0x09 }) {
            throw failure(.badFieldName, "invalid character in field name", at: bad)
        }
        if let last = name.last, last == 0x20 || last == 0x09 {
            let trimmed = HTTPSyntax.trimmed(name)
            if let bad = trimmed.firstIndex(where: { $0 == 0x20 || $0 == 0x09 }) {
                throw failure(.badFieldName, "whitespace inside a field name", at: bad)
            }
            try tolerate(
                .whitespaceBeforeColon, "whitespace between field name and colon", readAs: "read without it",
                at: trimmed.endIndex)
            name = trimmed
        }
        guard !name.isEmpty else { throw failure(.badFieldName, "empty field name", at: line.startIndex) }
        if let bad = name.firstIndex(where: { !HTTPSyntax.isTokenByte($0) }) {
            throw failure(.badFieldName, "invalid character in field name", at: bad)
        }
        let value = HTTPSyntax.trimmed(line[(colon + 1)...])
        try checkValueBytes(value)
        // Not a slice of `line`: that would hold `pending` and make its next append copy it.
        lastValueTrailing = value.isEmpty || value.endIndex == line.endIndex ? [] : Array(line[value.endIndex...])
        guard fields.count < limits.fieldCount else {
            throw failure(.tooManyFields, "more than \(limits.fieldCount) fields", at: line.startIndex)
        }
        let field = HTTPField(name: String(decoding: name, as: UTF8.self), rawValue: Array(value))
        fields.append(field)
        if !isTrailer && HTTPField.sameName(field.name, "Content-Length") {
            try noteContentLength(field.rawValue, at: line.startIndex)
        }
    }

    /// The common field line (`token:` then OWS, visible bytes, OWS) read in one pass over the
    /// bytes in place; false, with nothing consumed, for any other line, which the general code
    /// then reads and rejects exactly as before.
    private mutating func parseOrdinaryFieldLine(_ line: ArraySlice<UInt8>, isTrailer: Bool) throws(HTTPParseError)
        -> Bool
    {
        let shape = line.withUnsafeBufferPointer { bytes -> (colon: Int, value: Range<Int>)? in
            var index = 0
            while index < bytes.count && HTTPSyntax.isTokenByte(bytes[index]) { index += 1 }
            guard index > 0, index < bytes.count, bytes[index] == 0x3A else { return nil }
            let colon = index
            var start = colon + 1, end = bytes.count
            while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
            while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
            for byte in UnsafeBufferPointer(rebasing: bytes[start..<end])
            where byte != 0x09 && (byte < 0x20 || byte == 0x7F) {
                return nil
            }
            return (colon, start..<end)
        }
        guard let shape else { return false }
        guard fields.count < limits.fieldCount else {
            throw failure(.tooManyFields, "more than \(limits.fieldCount) fields", at: line.startIndex)
        }
        let field = line.withUnsafeBufferPointer { bytes in
            HTTPField(
                name: String(decoding: UnsafeBufferPointer(rebasing: bytes[..<shape.colon]), as: UTF8.self),
                rawValue: Array(UnsafeBufferPointer(rebasing: bytes[shape.value])))
        }
        // Not a slice of `line`: that would hold `pending` and make its next append copy it.
        let trailing = line.startIndex + shape.value.upperBound
        lastValueTrailing = shape.value.isEmpty || trailing == line.endIndex ? [] : Array(line[trailing...])
        fields.append(field)
        if !isTrailer && HTTPField.sameName(field.name, "Content-Length") {
            try noteContentLength(field.rawValue, at: line.startIndex)
        }
        return true
    }

    private func checkValueBytes(_ value: ArraySlice<UInt8>) throws(HTTPParseError) {
        // field-value = *( VCHAR / SP / HTAB / obs-text ): no other control characters.
        if let bad = value.firstIndex(where: { !($0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F)) }) {
            throw failure(.badFieldValue, "control character in field value", at: bad)
        }
    }

    /// Content-Length (RFC 9110 §8.6): digits only; a repeated or list value must agree. A
    /// problem is thrown at once in strict mode; lenient mode keeps it, because with
    /// Transfer-Encoding the Content-Length does not count (RFC 9112 §6.3), and `endHead` decides.
    private mutating func noteContentLength(_ raw: [UInt8], at index: Int) throws(HTTPParseError) {
        guard contentLengthProblem == nil else { return }
        if contentLengthOffset == nil { contentLengthOffset = consumed - start + index }
        for member in raw.split(separator: 0x2C, omittingEmptySubsequences: false) {
            let digits = HTTPSyntax.trimmed(member)
            let problem: String?
            if digits.isEmpty {
                problem = "empty Content-Length"
            } else if !digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                problem = "invalid character in Content-Length"
            } else if digits.count > 15 {
                problem = "Content-Length overflow"
            } else {
                problem = nil
            }
            if let problem {
                contentLengthProblem = failure(.badContentLength, problem, at: index)
            } else if let known = contentLength, known != digits.reduce(0, { $0 * 10 + Int($1 - 0x30) }) {
                contentLengthProblem = failure(.conflictingContentLength, "different Content-Length values", at: index)
            }
            if let contentLengthProblem {
                if !lenient { throw contentLengthProblem }
                return
            }
            let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            contentLength = value
        }
    }

    // MARK: - Framing (RFC 9112 §6.3)

    private mutating func endHead(into events: inout [HTTPEvent]) throws(HTTPParseError) {
        guard let startLine else { return }
        let head = HTTPHead(startLine: startLine, version: version, fields: fields, emptyLinesBefore: emptyLines)
        let hasTransferEncoding = head.has("Transfer-Encoding")
        let codings = hasTransferEncoding ? head.tokens("Transfer-Encoding") : []
        // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length, but a message with both
        // is a smuggling shape that a server must reject (§6.1) and a client ought to.
        var framingError: HTTPParseError?
        if hasTransferEncoding, let offset = contentLengthOffset {
            try tolerate(
                HTTPParseError(
                    kind: .contentLengthWithTransferEncoding,
                    reason: "Content-Length together with Transfer-Encoding", offset: offset),
                readAs: "framed by the Transfer-Encoding")
            contentLength = nil
        } else if let problem = contentLengthProblem {
            framingError = problem
        }
        // After a message that does not keep the connection (Connection: close, or HTTP/1.0
        // without keep-alive, RFC 9112 §9.3) a server reads nothing more (§9.6).
        keepAlive = head.keepAlive
        closeAfterMessage = !keepAlive
        events.append(.head(head))
        headsReported += 1
        headReported = true
        emptyLines = 0
        if let framingError { throw framingError }
        switch kind {
        case .request:
            let method = head.method ?? ""
            if method == "CONNECT" {
                startTunnel(into: &events)
                return
            }
            upgradeAfterBody = head.has("Upgrade") && head.hasToken("Connection", "upgrade")
            if hasTransferEncoding {
                // Decided when the head ends (a later field line could still add chunked), so
                // reported at the byte after the head, whatever that byte turns out to be.
                guard codings.last == "chunked", !codings.dropLast().contains("chunked") else {
                    throw failure(.badTransferEncoding, "request Transfer-Encoding must end with chunked (once)")
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
                headReported = false
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
        headReported = false
        state = closeAfterMessage ? .closed : .startLine
    }

    // MARK: - Chunked coding (RFC 9112 §7.1)

    /// chunk-size [ chunk-ext ], where chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ).
    /// An error is at the offending byte of the line (never past its end: what follows the
    /// line depends on how the bytes arrived).
    private func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var index = line.startIndex
        var size = 0
        while index < line.endIndex, let digit = HTTPSyntax.hexValue(line[index]) {
            size = size * 16 + digit
            guard size < 1 << 40 else { throw failure(.badChunk, "chunk size overflow", at: index) }
            index += 1
        }
        guard index > line.startIndex else { throw failure(.badChunk, "invalid character in chunk size", at: index) }
        func skipWhitespace() {
            while index < line.endIndex && (line[index] == 0x20 || line[index] == 0x09) { index += 1 }
        }
        while true {
            let beforeWhitespace = index
            skipWhitespace()
            if index == line.endIndex {
                // BWS is only allowed before a ";" (llhttp and RFC 9112 §7.1.1 agree).
                guard index == beforeWhitespace else {
                    throw failure(.badChunk, "whitespace after chunk size", at: beforeWhitespace)
                }
                return size
            }
            guard line[index] == 0x3B else { throw failure(.badChunk, "invalid character in chunk size", at: index) }
            index += 1
            skipWhitespace()
            let nameStart = index
            while index < line.endIndex && HTTPSyntax.isTokenByte(line[index]) { index += 1 }
            guard index > nameStart else { throw failure(.badChunk, "empty chunk extension name", at: index) }
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
                    guard closed else {
                        throw failure(
                            .badChunk, "unterminated quoted chunk extension value", at: line.endIndex)
                    }
                } else {
                    let valueStart = index
                    while index < line.endIndex && HTTPSyntax.isTokenByte(line[index]) { index += 1 }
                    guard index > valueStart else { throw failure(.badChunk, "empty chunk extension value", at: index) }
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
