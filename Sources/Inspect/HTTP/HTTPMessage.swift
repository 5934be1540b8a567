/// One header or trailer field: the name as sent (case kept) and the value without the
/// optional whitespace around it. `value` decodes the raw bytes as UTF-8 (obs-text that is
/// not UTF-8 shows as U+FFFD); `rawValue` keeps them.
public struct HTTPField: Sendable, Equatable {
    public var name: String
    public var rawValue: [UInt8]
    public var value: String { String(decoding: rawValue, as: UTF8.self) }

    public init(name: String, rawValue: [UInt8]) {
        self.name = name
        self.rawValue = rawValue
    }

    /// Field names compare without regard to ASCII case (RFC 9110 §5.1), without allocating.
    static func sameName(_ a: String, _ b: String) -> Bool {
        if a.utf8.count != b.utf8.count { return false }
        if a == b { return true }  // names are nearly always sent as written
        var left = a.utf8.makeIterator(), right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case (let x?, let y?):
                if x != y && lower(x) != lower(y) { return false }
            default: return false
            }
        }
    }

    @inline(__always) static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
}

/// The protocol and version from a start line (`HTTP/1.1`, `HTTP/0.9` for a bare
/// `GET /`, or the RTSP/ICE variants llhttp also accepts).
public struct HTTPVersion: Sendable, Equatable, CustomStringConvertible {
    public var protocolName: String
    public var major: Int
    public var minor: Int
    public var description: String { "\(protocolName)/\(major).\(minor)" }
    public static let http09 = HTTPVersion(protocolName: "HTTP", major: 0, minor: 9)
    public static let http10 = HTTPVersion(protocolName: "HTTP", major: 1, minor: 0)
    public static let http11 = HTTPVersion(protocolName: "HTTP", major: 1, minor: 1)
}

/// A request line or status line with its header fields, as the parser saw them.
public struct HTTPHead: Sendable, Equatable {
    public enum StartLine: Sendable, Equatable {
        case request(method: String, target: String)
        case response(status: Int, reason: String)
    }
    public var startLine: StartLine
    public var version: HTTPVersion
    public var fields: [HTTPField]
    /// Empty lines (CRLF or LF) skipped before the start line (RFC 9112 §2.2 lets a server
    /// ignore them; they usually mean a client counted a body's CRLF wrong).
    public var emptyLinesBefore = 0

    public init(startLine: StartLine, version: HTTPVersion, fields: [HTTPField], emptyLinesBefore: Int = 0) {
        self.startLine = startLine
        self.version = version
        self.fields = fields
        self.emptyLinesBefore = emptyLinesBefore
    }

    public var method: String? {
        if case .request(let method, _) = startLine { return method }
        return nil
    }
    public var target: String? {
        if case .request(_, let target) = startLine { return target }
        return nil
    }
    public var status: Int? {
        if case .response(let status, _) = startLine { return status }
        return nil
    }
    public var reason: String? {
        if case .response(_, let reason) = startLine { return reason }
        return nil
    }

    /// Values of every field with this name (case-insensitive), in order.
    public func values(_ name: String) -> [String] {
        var result: [String] = []
        for field in fields where HTTPField.sameName(field.name, name) { result.append(field.value) }
        return result
    }

    /// The value of the first field with this name (case-insensitive).
    public func firstValue(_ name: String) -> String? {
        fields.first { HTTPField.sameName($0.name, name) }?.value
    }

    /// Whether a field with this name (case-insensitive) is present.
    public func has(_ name: String) -> Bool {
        fields.contains { HTTPField.sameName($0.name, name) }
    }

    /// Comma-separated list members of every field with this name, lower-cased and trimmed.
    public func tokens(_ name: String) -> [String] {
        var result: [String] = []
        forEachToken(name) { result.append(String(decoding: $0.lazy.map(HTTPField.lower), as: UTF8.self)) }
        return result
    }

    /// Whether a list member of a field with this name equals `token` (lower-case ASCII),
    /// ignoring ASCII case and the whitespace around it; reads the bytes in place.
    public func hasToken(_ name: String, _ token: StaticString) -> Bool {
        var found = false
        let wanted = UnsafeBufferPointer(start: token.utf8Start, count: token.utf8CodeUnitCount)
        forEachToken(name) { member in
            if !found && member.count == wanted.count {
                found = zip(member, wanted).allSatisfy { HTTPField.lower($0) == $1 }
            }
        }
        return found
    }

    /// Calls `body` with each non-empty comma-separated member (OWS trimmed, case kept) of every
    /// field with this name, in order (read in place: no array of pieces).
    private func forEachToken(_ name: String, _ body: (ArraySlice<UInt8>) -> Void) {
        for field in fields where HTTPField.sameName(field.name, name) {
            let value = field.rawValue
            var start = value.startIndex
            while start <= value.endIndex {
                let end = value[start...].firstIndex(of: 0x2C) ?? value.endIndex
                let trimmed = HTTPSyntax.trimmed(value[start..<end])
                if !trimmed.isEmpty { body(trimmed) }
                start = end + 1
            }
        }
    }

    /// Whether the connection stays open after this message (RFC 9112 §9.3).
    public var keepAlive: Bool {
        if hasToken("Connection", "close") { return false }
        if version.major == 1 && version.minor == 0 { return hasToken("Connection", "keep-alive") }
        return version.major >= 1
    }
}

/// Why the parser refused the bytes. `status` is what a server answers (RFC 9110 §15).
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case badStartLine, badVersion, badMethod, badTarget, badStatus
        case badFieldName, badFieldValue, whitespaceBeforeColon, obsoleteLineFolding
        case bareCR, bareLF, mixedLineEndings
        case badContentLength, conflictingContentLength, contentLengthWithTransferEncoding
        case badTransferEncoding, badChunk
        case startLineTooLong, headersTooLarge, tooManyFields, bodyTooLarge
        case dataAfterClose
        case missingVersion
    }
    public var kind: Kind
    public var reason: String
    /// Where it broke: the offset of the offending byte (or of the line or field that is wrong
    /// as a whole), counted from the start of the stream.
    public var offset: Int
    /// The line it broke in, from its start through the offending byte (at most 80 bytes back),
    /// so a reader sees what arrived.
    public var line: [UInt8] = []

    public init(kind: Kind, reason: String, offset: Int, line: [UInt8] = []) {
        self.kind = kind
        self.reason = reason
        self.offset = offset
        self.line = line
    }

    /// The section of RFC 9112 or RFC 9110 that the bytes broke, e.g. `RFC 9112 §5.2`.
    public var rule: String { kind.rule }

    public var status: Int {
        switch kind {
        case .startLineTooLong: 414
        case .headersTooLarge, .tooManyFields: 431
        case .bodyTooLarge: 413
        default: 400
        }
    }

    public var description: String { "\(reason) (at byte \(offset))" }
}

/// What the parser found, in stream order.
public enum HTTPEvent: Sendable, Equatable {
    case head(HTTPHead)
    case body([UInt8])
    /// The message is complete (with chunked trailers, if any). `keepAlive`: whether the
    /// connection can carry another message (false when the body ran to the close).
    case end(trailers: [HTTPField], keepAlive: Bool)
    /// The connection switched protocols (101, CONNECT, or a request with Upgrade): what
    /// follows is not HTTP. Later bytes are reported as `.tunnel`.
    case upgrade
    case tunnel([UInt8])
    /// The bytes broke the protocol; nothing more is parsed on this stream. Always the last event.
    case failed(HTTPParseError)
}
