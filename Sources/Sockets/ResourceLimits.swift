#if canImport(Glibc)
    import Glibc
#endif

/// Process limits a server needs raised.
public enum ResourceLimits {
    /// Lifts the soft limit on open descriptors (RLIMIT_NOFILE) to the hard limit, so a server
    /// can hold its --max-connections sockets (the soft default is often 1024).
    public static func raiseOpenFiles() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
