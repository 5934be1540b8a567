import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The one place netlab handles signals.
///
/// - SIGPIPE is ignored, once, by every entry point that writes to a socket or a pipe: a reader
///   that goes away then shows up as EPIPE on the write (a closed connection, `| head`), which
///   the writer handles, instead of killing the process — and with it every other client.
/// - SIGINT and SIGTERM are stop requests: they set a flag that loops poll (`stopRequested`)
///   and call one registered interrupter (a capture's `pcap_breakloop`), so a blocked read
///   returns at once and the program can print its summary and exit cleanly.
///
/// Everything the handler touches is an `Atomic`: lock-free, so safe in a signal handler.
public enum Signals {
    /// A function a signal handler may call with the registered context (async-signal-safe only:
    /// `pcap_breakloop` sets a flag and nothing else).
    public typealias Interrupter = @convention(c) (UnsafeMutableRawPointer?) -> Void

    private static let stop = Atomic<Bool>(false)
    /// The interrupter and its context as address bit patterns (0: none): an Atomic holds
    /// integers, not function types, and unlike pointers integers are Sendable.
    private static let interrupter = Atomic<UInt>(0)
    private static let context = Atomic<UInt>(0)

    /// `static let` initialisers run exactly once, thread-safely: the ignore happens once however
    /// many entry points ask for it.
    private static let brokenPipeIgnored: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    /// Ignores SIGPIPE for the whole process (idempotent). Writes to a closed socket or pipe then
    /// fail with EPIPE instead of ending the program. Child processes started later inherit it
    /// (exec resets handlers but keeps "ignored"), so the fork model's children are covered.
    public static func ignoreBrokenPipe() {
        _ = brokenPipeIgnored
    }

    /// Routes SIGINT and SIGTERM to the stop flag (and the interrupter, if one is registered)
    /// until `restoreDefaults()`.
    public static func installStopHandlers() {
        // Touch every static the handler reads, so none is first initialised inside it.
        _ = stop.load(ordering: .relaxed)
        _ = interrupter.load(ordering: .relaxed)
        _ = context.load(ordering: .relaxed)
        let handler: @convention(c) (Int32) -> Void = { _ in
            Signals.stop.store(true, ordering: .sequentiallyConsistent)
            let bits = Signals.interrupter.load(ordering: .sequentiallyConsistent)
            if bits != 0 {
                let action = unsafeBitCast(bits, to: Interrupter.self)
                action(UnsafeMutableRawPointer(bitPattern: Signals.context.load(ordering: .sequentiallyConsistent)))
            }
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        // No SA_RESTART: a blocked accept/recv/poll returns EINTR and its loop looks at the flag.
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
    }

    /// True once SIGINT or SIGTERM arrived (or `requestStop()` was called).
    public static var stopRequested: Bool { stop.load(ordering: .sequentiallyConsistent) }

    /// The same as receiving SIGTERM, from code (tests, a watchdog).
    public static func requestStop() {
        stop.store(true, ordering: .sequentiallyConsistent)
    }

    /// Calls `action(context)` on SIGINT/SIGTERM (after setting the flag) until `clearInterrupter()`.
    /// The context must stay valid until then.
    public static func setInterrupter(_ action: Interrupter, context value: UnsafeMutableRawPointer?) {
        context.store(UInt(bitPattern: value), ordering: .sequentiallyConsistent)
        interrupter.store(unsafeBitCast(action, to: UInt.self), ordering: .sequentiallyConsistent)
    }

    public static func clearInterrupter() {
        interrupter.store(0, ordering: .sequentiallyConsistent)
        context.store(0, ordering: .sequentiallyConsistent)
    }

    /// SIGINT and SIGTERM end the process again (the default), and the interrupter is dropped.
    /// A forked child calls this first: it must die when its parent stops it.
    public static func restoreDefaults() {
        clearInterrupter()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// A flag one thread sets and others poll (a server loop's `until`, a receiver's stop).
public final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)

    public init() {}

    public var isSet: Bool { value.load(ordering: .acquiring) }
    public func set() { value.store(true, ordering: .releasing) }
}
