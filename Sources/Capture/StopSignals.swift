import CPcap
import ProcessControl

/// Stops a capture on SIGINT/SIGTERM: ProcessControl's `Signals` owns the handlers; this only
/// registers `pcap_breakloop` on the capture's handle as the interrupter, so a blocked read returns
/// at once and the caller can print its summary.
public enum StopSignals {
    /// Routes SIGINT and SIGTERM to `handle.breakLoop()` until `release()`.
    public static func route(to handle: CaptureHandle) {
        Signals.ignoreBrokenPipe()
        Signals.setInterrupter(
            { context in
                if let context { pcap_breakloop(OpaquePointer(context)) }
            }, context: UnsafeMutableRawPointer(handle.rawHandle))
        Signals.installStopHandlers()
        // A stop requested before the routing (between "listening on" and here) breaks at once.
        if Signals.stopRequested { pcap_breakloop(handle.rawHandle) }
    }

    /// Installs the handlers without a capture (programs that poll `requested`).
    public static func install() {
        Signals.ignoreBrokenPipe()
        Signals.installStopHandlers()
    }

    /// True once SIGINT or SIGTERM arrived.
    public static var requested: Bool { Signals.stopRequested }

    /// Stops routing signals to the capture (its handle may close now). The handlers stay: a
    /// Ctrl-C that arrives while the program finishes (closing the socket, the summary) is a
    /// stop request, not the end of the process.
    public static func release() {
        Signals.clearInterrupter()
    }
}
