#if canImport(Glibc)
    import Glibc
#endif

/// A failed socket call: which call, and errno with its name (`ECONNREFUSED`) and text.
public struct SocketError: Error, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    /// For failures that have no errno (name resolution, protocol limits).
    public var detail: String?

    public init(_ operation: String, code: Int32 = errno, detail: String? = nil) {
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    public var name: String {
        switch code {
        case ECONNREFUSED: "ECONNREFUSED"
        case ECONNRESET: "ECONNRESET"
        case ETIMEDOUT: "ETIMEDOUT"
        case EADDRINUSE: "EADDRINUSE"
        case EADDRNOTAVAIL: "EADDRNOTAVAIL"
        case EACCES: "EACCES"
        case EAGAIN: "EAGAIN"
        case EPIPE: "EPIPE"
        case EINVAL: "EINVAL"
        case EHOSTUNREACH: "EHOSTUNREACH"
        case ENETUNREACH: "ENETUNREACH"
        case EMFILE: "EMFILE"
        default: "errno \(code)"
        }
    }

    public var description: String {
        if let detail { return "\(operation): \(detail)" }
        return "\(operation): \(name) (\(String(cString: strerror(code))))"
    }
}
