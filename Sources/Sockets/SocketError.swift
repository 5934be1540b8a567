import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A failed socket call: which call, and errno as a typed value (swift-system's `Errno`) with
/// its name (`ECONNREFUSED`) and text.
public struct SocketError: Error, Equatable, CustomStringConvertible {
    /// What kind of failure this is, so callers decide by type, never by the message's text.
    public enum Kind: Equatable, Sendable {
        /// A system call failed with errno.
        case system
        /// A name or service could not be resolved (getaddrinfo).
        case nameResolution
        /// The caller asked for something impossible (a bad address or path), no errno involved.
        case invalid
    }

    public var operation: String
    public var kind: Kind
    /// errno of the failed call (`nil` for failures that have none).
    public var errno: Errno?
    /// For failures that errno alone does not explain (name resolution, protocol limits).
    public var detail: String?

    /// A failed system call: `errno` is read now unless given.
    public init(_ operation: String, code: Int32 = Glibc.errno, detail: String? = nil) {
        self.operation = operation
        self.errno = code == 0 ? nil : Errno(rawValue: code)
        self.kind = code == 0 && detail != nil ? .invalid : .system
        self.detail = detail
    }

    /// getaddrinfo failed (unknown host or service); `code` is errno for EAI_SYSTEM.
    public static func nameResolution(_ what: String, detail: String, code: Int32 = 0) -> SocketError {
        var error = SocketError("getaddrinfo \(what)", code: code, detail: detail)
        error.kind = .nameResolution
        return error
    }

    /// errno's raw value, 0 when there is none.
    public var code: Int32 { errno?.rawValue ?? 0 }

    /// True when errno says the peer went away (reset, closed, broken pipe): for a server, a
    /// client that left, not a failure of the server.
    public var peerWentAway: Bool {
        guard let errno else { return false }
        return errno == .connectionReset || errno == .brokenPipe || errno == .connectionAbort
            || errno == .socketNotConnected
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
        EHOSTUNREACH: "EHOSTUNREACH", EALREADY: "EALREADY", EINPROGRESS: "EINPROGRESS", ENOTDIR: "ENOTDIR",
        EIO: "EIO",
    ]

    public var description: String {
        if let detail { return "\(operation): \(detail)" }
        return "\(operation): \(name) (\(String(cString: strerror(code))))"
    }
}
