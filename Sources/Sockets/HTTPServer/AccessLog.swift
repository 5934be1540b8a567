#if canImport(Glibc)
    import Glibc
#endif

/// Access log lines on standard error, in python http.server's format:
/// `127.0.0.1 - - [26/Nov/2026 17:05:01] "GET / HTTP/1.1" 200 1234`. Each line is one write(2),
/// so lines from several threads or processes never interleave.
public final class AccessLog: Sendable {
    public let enabled: Bool
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public init(enabled: Bool) { self.enabled = enabled }

    public func record(peer: SocketAddress?, response: HTTPServerResponse, bodyBytes: Int) {
        guard enabled, !response.isInterim else { return }
        let size = bodyBytes > 0 ? String(bodyBytes) : "-"
        write("\(peer?.host ?? "-") - - [\(Self.timestamp())] \"\(response.requestLine)\" \(response.status) \(size)")
    }

    /// A line of its own (server start, stop, dropped clients).
    public func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { raw in _ = Glibc.write(2, raw.baseAddress!, raw.count) }
    }

    /// Local time as python prints it: `26/Nov/2026 17:05:01`.
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_mday))/\(months[Int(parts.tm_mon)])/\(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
