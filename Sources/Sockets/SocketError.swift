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

    /// errno's symbolic name, as the man pages write it.
    public var name: String {
        Self.names[code] ?? "errno \(code)"
    }

    static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EBADF: "EBADF", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM",
        EACCES: "EACCES", EFAULT: "EFAULT", EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE", ENOSPC: "ENOSPC",
        EPIPE: "EPIPE", ENOTSOCK: "ENOTSOCK", EMSGSIZE: "EMSGSIZE", EPROTONOSUPPORT: "EPROTONOSUPPORT",
        EOPNOTSUPP: "EOPNOTSUPP", EAFNOSUPPORT: "EAFNOSUPPORT", EADDRINUSE: "EADDRINUSE",
        EADDRNOTAVAIL: "EADDRNOTAVAIL", ENETDOWN: "ENETDOWN", ENETUNREACH: "ENETUNREACH",
        ECONNABORTED: "ECONNABORTED", ECONNRESET: "ECONNRESET", ENOBUFS: "ENOBUFS", EISCONN: "EISCONN",
        ENOTCONN: "ENOTCONN", ETIMEDOUT: "ETIMEDOUT", ECONNREFUSED: "ECONNREFUSED", EHOSTDOWN: "EHOSTDOWN",
        EHOSTUNREACH: "EHOSTUNREACH", EALREADY: "EALREADY", EINPROGRESS: "EINPROGRESS",
    ]

    public var description: String {
        if let detail { return "\(operation): \(detail)" }
        return "\(operation): \(name) (\(String(cString: strerror(code))))"
    }
}
