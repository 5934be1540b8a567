/// Watches a live capture's kernel drop counter and decides when to tell the user. A full
/// capture buffer loses packets silently; a student who benchmarks a server while sniffing
/// it must hear about it while it happens, but a loss that lasts a minute must not print
/// thousands of lines: at most one warning per `warningInterval`, each with the drops since
/// the previous one. Pure logic (time is passed in), so it is tested without an overload.
public struct DropMonitor: Sendable {
    /// Shortest time between two warnings.
    public let warningInterval: Duration
    /// Shortest time between two reads of the counters (`pcap_stats` is a system call).
    public let pollInterval: Duration
    /// Packets the kernel dropped since the capture began.
    public private(set) var dropped: UInt64 = 0
    /// Of those, how many a warning has already counted.
    public private(set) var reported: UInt64 = 0
    private var lastCounter: UInt32 = 0
    private var lastPoll: ContinuousClock.Instant?
    private var lastWarning: ContinuousClock.Instant?

    public init(warningInterval: Duration = .seconds(1), pollInterval: Duration = .milliseconds(50)) {
        self.warningInterval = warningInterval
        self.pollInterval = pollInterval
    }

    /// True once the capture lost a packet: gaps in what follows may be the capture's, not the
    /// network's.
    public var captureIsIncomplete: Bool { dropped > 0 }

    /// Whether it is time to read the counters again (then call `observe`).
    public mutating func pollIsDue(at now: ContinuousClock.Instant) -> Bool {
        if let lastPoll, now - lastPoll < pollInterval { return false }
        lastPoll = now
        return true
    }

    /// Takes libpcap's cumulative drop counter (a 32-bit counter that may wrap) read at `now`;
    /// returns the number of drops to warn about now, or nil when there is nothing new or the
    /// last warning was too recent (those drops are then counted in the next warning).
    public mutating func observe(kernelDropped counter: UInt32, at now: ContinuousClock.Instant) -> UInt64? {
        dropped += UInt64(counter &- lastCounter)
        lastCounter = counter
        guard dropped > reported else { return nil }
        if let lastWarning, now - lastWarning < warningInterval { return nil }
        lastWarning = now
        defer { reported = dropped }
        return dropped - reported
    }
}
