/// Whether the first bytes of a TCP stream start like HTTP/1.x, decided by content (any port).
/// Only a stream that starts like HTTP is parsed, so only such a stream can be reported as
/// malformed HTTP; SSH banners, TLS records and echoed text are not. After any empty lines
/// (CRLF or LF, RFC 9112 §2.2), a stream starts like HTTP when it begins with
/// - `HTTP/`: a response (whatever follows: `HTTP/1.1 2000 OK` is a malformed response);
/// - a registered method (IANA HTTP Method Registry) and SP: a request, whatever follows
///   (`GET /` and `GET / HTPT/1.1` are malformed requests);
/// - any other token, SP, a target (no SP, CR or LF), SP and `HTTP/`: a request with an
///   unregistered method (`SEARCH`, `QUERY`, `FOO`, …; RFC 9110 §9.1: a method is a token).
/// `hello world` is not HTTP; `GET me a coffee` is (a malformed request).
public enum HTTPStart: Equatable, Sendable {
    case http(HTTPParser.Kind)
    case notHTTP
    /// Not enough bytes yet.
    case undecided

    /// Methods of the IANA registry (RFC 9110 §16.1.1); case matters (RFC 9110 §9.1).
    static let registeredMethods: Set<[UInt8]> = Set(
        [
            "ACL", "BASELINE-CONTROL", "BIND", "CHECKIN", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD",
            "LABEL", "LINK", "LOCK", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MKREDIRECTREF", "MKWORKSPACE",
            "MOVE", "OPTIONS", "ORDERPATCH", "PATCH", "POST", "PRI", "PROPFIND", "PROPPATCH", "PUT", "QUERY",
            "REBIND", "REPORT", "SEARCH", "TRACE", "UNBIND", "UNCHECKOUT", "UNLINK", "UNLOCK", "UPDATE",
            "UPDATEREDIRECTREF", "VERSION-CONTROL",
        ].map { Array($0.utf8) })

    /// Bytes examined at most before deciding (a request line longer than the parser's limit
    /// would be an error anyway).
    static let limit = 8 * 1024

    private static let versionPrefix = Array("HTTP/".utf8)

    public static func classify(_ bytes: [UInt8]) -> HTTPStart {
        var index = 0
        while index < bytes.count && (bytes[index] == 0x0D || bytes[index] == 0x0A) { index += 1 }
        guard index < min(bytes.count, limit) else { return bytes.count >= limit ? .notHTTP : .undecided }
        switch prefixMatch(bytes, at: index, versionPrefix) {
        case .some(true): return .http(.response)
        case .none: return .undecided
        case .some(false): break
        }
        let tokenStart = index
        while index < bytes.count && HTTPSyntax.isTokenByte(bytes[index]) { index += 1 }
        guard index < bytes.count else { return index - tokenStart < limit ? .undecided : .notHTTP }
        guard index > tokenStart, bytes[index] == 0x20 else { return .notHTTP }
        if registeredMethods.contains(Array(bytes[tokenStart..<index])) { return .http(.request) }
        index += 1
        let targetStart = index
        while index < bytes.count && bytes[index] != 0x20 && bytes[index] != 0x0D && bytes[index] != 0x0A {
            index += 1
        }
        guard index < bytes.count else { return index < limit ? .undecided : .notHTTP }
        guard index > targetStart, bytes[index] == 0x20 else { return .notHTTP }
        switch prefixMatch(bytes, at: index + 1, versionPrefix) {
        case .some(true): return .http(.request)
        case .none: return .undecided
        case .some(false): return .notHTTP
        }
    }

    /// true: `prefix` is at `index`; false: it is not; nil: the bytes end before it could tell.
    private static func prefixMatch(_ bytes: [UInt8], at index: Int, _ prefix: [UInt8]) -> Bool? {
        for (offset, byte) in prefix.enumerated() {
            guard index + offset < bytes.count else { return nil }
            if bytes[index + offset] != byte { return false }
        }
        return true
    }
}
