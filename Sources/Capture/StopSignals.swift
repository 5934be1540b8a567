import CPcap

#if canImport(Glibc)
    import Glibc
#endif

/// The one place netlab handles SIGINT and SIGTERM: they break the loop of the capture
/// registered here, so the caller can print its summary and exit cleanly.
public enum StopSignals {
    nonisolated(unsafe) private static var target: OpaquePointer?
    nonisolated(unsafe) private static var stopRequested: sig_atomic_t = 0

    /// Routes SIGINT and SIGTERM to `handle.breakLoop()` until `release()`.
    public static func route(to handle: CaptureHandle) {
        target = handle.rawHandle
        install()
    }

    /// Installs the handlers without a capture (programs that poll `requested`).
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            StopSignals.stopRequested = 1
            if let target = StopSignals.target { pcap_breakloop(target) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// True once SIGINT or SIGTERM arrived.
    public static var requested: Bool { stopRequested != 0 }

    public static func release() {
        target = nil
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
