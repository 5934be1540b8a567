import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a relay does to the packets passing through it, like Linux netem: lose some,
/// duplicate some, hold some back so later ones overtake them, and delay all with jitter.
/// Every decision comes from a seeded generator, so the same seed gives the same decisions.
public struct Impairment: Sendable, Equatable, CustomStringConvertible {
    /// Fractions 0…1.
    public var loss = 0.0
    public var duplicate = 0.0
    public var reorder = 0.0
    /// Seconds added to every packet, and the ± range around it.
    public var delay = 0.0
    public var jitter = 0.0
    public var seed: UInt64 = 1

    public init() {}

    public var isNone: Bool { loss == 0 && duplicate == 0 && reorder == 0 && delay == 0 && jitter == 0 }

    public var description: String {
        func percent(_ value: Double) -> String {
            let tenths = Int((value * 1000).rounded())
            return "\(tenths / 10)\(tenths % 10 == 0 ? "" : ".\(tenths % 10)")%"
        }
        var parts = ["loss \(percent(loss))", "reorder \(percent(reorder))", "dup \(percent(duplicate))"]
        parts.append(
            "delay \(Int((delay * 1000).rounded())) ms" + (jitter > 0 ? " ±\(Int((jitter * 1000).rounded())) ms" : ""))
        parts.append("seed \(seed)")
        return parts.joined(separator: ", ")
    }

    /// `5%`, `5` or `0.5%` as a fraction; nil when out of 0…100.
    public static func parsePercent(_ text: String) -> Double? {
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let value = Double(number), value >= 0, value <= 100 else { return nil }
        return value / 100
    }

    /// `20`, `20ms`, `20±5`, `20ms±5ms`, `20+-5`: (delay, jitter) in seconds.
    public static func parseDelay(_ text: String) -> (Double, Double)? {
        let cleaned = text.replacingOccurrences("ms", with: "").replacingOccurrences("+-", with: "±")
        let parts = cleaned.split(separator: "±", omittingEmptySubsequences: false)
        guard parts.count <= 2, let delay = Double(parts[0]), delay >= 0, delay <= 10_000 else { return nil }
        var jitter = 0.0
        if parts.count == 2 {
            guard let value = Double(parts[1]), value >= 0, value <= delay else { return nil }
            jitter = value
        }
        return (delay / 1000, jitter / 1000)
    }
}

extension String {
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

/// SplitMix64: small, fast, and the same numbers for the same seed on every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<1.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// Decides the fate of each packet and counts what it did.
public struct ImpairmentEngine: Sendable {
    public let impairment: Impairment
    private var random: SeededRandom
    private var releases = ReleaseStage()

    public struct Counters: Sendable, Equatable {
        public var seen = 0
        public var dropped = 0
        public var duplicated = 0
        public var reordered = 0
        public var forwarded = 0
        public init() {}
    }

    public private(set) var counters = Counters()

    public init(_ impairment: Impairment) {
        self.impairment = impairment
        random = SeededRandom(seed: impairment.seed)
    }

    /// When each copy of a packet arriving `now` leaves: none (lost), one, or two (duplicated).
    public mutating func decide(now: Double) -> [Double] {
        counters.seen += 1
        // Draw every number for every packet, so one decision does not shift the others.
        let lossDraw = random.unit(), duplicateDraw = random.unit(), reorderDraw = random.unit()
        let jitterDraw = random.unit()
        if lossDraw < impairment.loss {
            counters.dropped += 1
            return []
        }
        let draws = ReleaseStage.Draws(duplicate: duplicateDraw, reorder: reorderDraw, jitter: jitterDraw)
        return releases.release(from: now, impairment, draws, counting: &counters)
    }
}

/// The loop the socket relay runs on its own thread: read what arrived, decide each packet's
/// fate, release what is due, and on `finish()` drain everything still held or unread.
final class RelayLoop: @unchecked Sendable {
    private let engine: Mutex<ImpairmentEngine>
    private let stopping = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    init(_ impairment: Impairment) { engine = Mutex(ImpairmentEngine(impairment)) }

    /// Runs until finished. `waitReadable(seconds)` waits for input; `read()` returns the
    /// packets to impair (taking care of any that pass unimpaired); `forward` sends one on.
    func run(waitReadable: (Double) -> Bool, read: () -> [[UInt8]], forward: ([UInt8]) -> Void) {
        var queue = TimedQueue()
        while true {
            let now = Clock.now
            while let packet = queue.popDue(now) { forward(packet) }
            // Stop only when nothing waits in the queue or, unread, in the socket or device.
            if stopping.load(ordering: .acquiring) && queue.isEmpty && !waitReadable(0) { break }
            let wait = queue.nextTime.map { max(0, min($0 - now, 0.05)) } ?? 0.05
            guard waitReadable(wait) else { continue }
            for packet in read() {
                let arrival = Clock.now
                for time in engine.withLock({ $0.decide(now: arrival) }) { queue.add(packet, at: time) }
            }
        }
        finished.store(true, ordering: .releasing)
    }

    /// Releases what is still held back, stops, and returns what the relay did.
    func finish(timeout: Double) -> ImpairmentEngine.Counters {
        stopping.store(true, ordering: .releasing)
        let deadline = Clock.now + timeout
        while !finished.load(ordering: .acquiring) && Clock.now < deadline { usleep(1000) }
        return engine.withLock { $0.counters }
    }
}
