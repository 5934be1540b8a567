/// What `netlab path` does to one direction of its link: everything `Impairment` does (random
/// loss, duplication, reordering, delay with jitter) plus what a real path adds, a bottleneck
/// with a rate and a bounded queue (packets that find it full are dropped, so congestion control
/// has something to react to) and bursty loss (Gilbert-Elliott).
public struct LinkShape: Sendable, Equatable, CustomStringConvertible {
    public var impairment = Impairment()
    /// Bits per second through the bottleneck; 0 for no limit.
    public var rate = 0.0
    /// Packets the bottleneck holds, the one being sent included.
    public var queue = 64
    /// The links' MTU (the MSS is 40 bytes less for IPv4 TCP without options).
    public var mtu = 1500
    /// Bursty loss, applied before the random loss.
    public var burstLoss: GilbertElliott?

    public init() {}

    /// Two-state loss like netem's `loss gemodel p r 1-h 1-k`: the link moves from good to bad
    /// with probability `enterBad` and back with `leaveBad`, per packet; a packet is lost with
    /// `lossInBad` in the bad state and `lossInGood` in the good one. Mean burst: 1/leaveBad.
    public struct GilbertElliott: Sendable, Equatable {
        public var enterBad: Double
        public var leaveBad: Double
        public var lossInBad = 1.0
        public var lossInGood = 0.0
        public init(enterBad: Double, leaveBad: Double, lossInBad: Double = 1, lossInGood: Double = 0) {
            self.enterBad = enterBad
            self.leaveBad = leaveBad
            self.lossInBad = lossInBad
            self.lossInGood = lossInGood
        }

        /// `P,R[,BAD[,GOOD]]` in percent, like `1%,25%` (mean burst of 4 packets).
        public static func parse(_ text: String) -> GilbertElliott? {
            let values = text.split(separator: ",").map { Impairment.parsePercent(String($0)) }
            guard (2...4).contains(values.count), values.allSatisfy({ $0 != nil }) else { return nil }
            let numbers = values.map { $0! }
            guard numbers[1] > 0 else { return nil }
            return GilbertElliott(
                enterBad: numbers[0], leaveBad: numbers[1], lossInBad: numbers.count > 2 ? numbers[2] : 1,
                lossInGood: numbers.count > 3 ? numbers[3] : 0)
        }
    }

    public var description: String {
        var parts = [impairment.description]
        if let burstLoss {
            parts.append(
                "burst loss p \(burstLoss.enterBad * 100)% r \(burstLoss.leaveBad * 100)% (mean burst "
                    + "\(Int((1 / burstLoss.leaveBad).rounded())) packets)")
        }
        parts.append(rate > 0 ? "rate \(Self.formatRate(rate)), queue \(queue) packets" : "no rate limit")
        parts.append("MTU \(mtu)")
        return parts.joined(separator: ", ")
    }

    /// `10mbit`, `500kbit`, `1gbit`, `64000bit` or a bare number of bits per second (tc's units:
    /// `mbit` is megabits; bytes are not accepted, to avoid tc's `mbps` trap).
    public static func parseRate(_ text: String) -> Double? {
        let lower = text.lowercased()
        let units: [(String, Double)] = [("kbit", 1e3), ("mbit", 1e6), ("gbit", 1e9), ("bit", 1)]
        var number = Substring(lower)
        var scale = 1.0
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            number = lower.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(number), value >= 0, value * scale <= 100e9 else { return nil }
        return value * scale
    }

    static func formatRate(_ rate: Double) -> String {
        for (unit, factor) in [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3)] where rate >= factor {
            let value = rate / factor
            return (value == value.rounded() ? "\(Int(value))" : "\(value)") + unit
        }
        return "\(Int(rate))bit"
    }
}

/// Decides the fate of each packet of one direction, in order: bursty loss, random loss, the
/// bottleneck's queue (full: dropped; else it leaves when the packets before it have been sent
/// at the link's rate), then delay with jitter, reordering and duplication. Times are the
/// caller's (seconds), so the same packets at the same times with the same seed always get the
/// same fates: tests drive it with a virtual clock.
public struct LinkShaper: Sendable {
    public let shape: LinkShape
    private var random: SeededRandom
    private var badState = false
    /// When each packet in the bottleneck finishes being sent, oldest first.
    private var inQueue: [Double] = []
    private var queueStart = 0
    private var releases = ReleaseStage()

    public struct Counters: Sendable, Equatable, CustomStringConvertible {
        public var seen = 0
        public var bytes = 0
        /// Lost by the random and the bursty loss.
        public var lost = 0
        public var burstLost = 0
        /// Found the bottleneck's queue full.
        public var queueDrops = 0
        public var duplicated = 0
        public var reordered = 0
        public var forwarded = 0
        public init() {}

        public var description: String {
            "\(seen) packets (\(bytes) bytes), \(lost) lost (\(burstLost) in bursts), \(queueDrops) queue drops, "
                + "\(reordered) reordered, \(duplicated) duplicated, \(forwarded) forwarded"
        }

        /// The older relays' counters (compare reports them).
        public var impairmentCounters: ImpairmentEngine.Counters {
            var counters = ImpairmentEngine.Counters()
            counters.seen = seen
            counters.dropped = lost + queueDrops
            counters.duplicated = duplicated
            counters.reordered = reordered
            counters.forwarded = forwarded
            return counters
        }
    }

    public private(set) var counters = Counters()

    /// `stream` tells the directions of one link apart: the same seed gives each its own numbers.
    public init(_ shape: LinkShape, stream: UInt64 = 0) {
        self.shape = shape
        random = SeededRandom(seed: shape.impairment.seed &+ stream &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Packets waiting in the bottleneck at `now` (the one being sent included).
    public mutating func queueLength(at now: Double) -> Int {
        while queueStart < inQueue.count && inQueue[queueStart] <= now { queueStart += 1 }
        if queueStart > 1024 && queueStart * 2 > inQueue.count {
            inQueue.removeFirst(queueStart)
            queueStart = 0
        }
        return inQueue.count - queueStart
    }

    /// When each copy of a packet of `size` bytes arriving at `now` leaves: none (lost or
    /// dropped), one, or two (duplicated).
    public mutating func decide(size: Int, now: Double) -> [Double] {
        counters.seen += 1
        counters.bytes += size
        // Every number is drawn for every packet, so one decision does not shift the others.
        let stateDraw = random.unit(), burstDraw = random.unit(), lossDraw = random.unit()
        let duplicateDraw = random.unit(), reorderDraw = random.unit(), jitterDraw = random.unit()
        let impairment = shape.impairment
        if let model = shape.burstLoss {
            badState = badState ? stateDraw >= model.leaveBad : stateDraw < model.enterBad
            if burstDraw < (badState ? model.lossInBad : model.lossInGood) {
                counters.lost += 1
                counters.burstLost += 1
                return []
            }
        }
        if lossDraw < impairment.loss {
            counters.lost += 1
            return []
        }
        var sent = now
        if shape.rate > 0 {
            let waiting = queueLength(at: now)
            if waiting >= max(1, shape.queue) {
                counters.queueDrops += 1
                return []
            }
            let start = waiting > 0 ? inQueue[inQueue.count - 1] : now
            sent = start + Double(size * 8) / shape.rate
            inQueue.append(sent)
        }
        let draws = ReleaseStage.Draws(duplicate: duplicateDraw, reorder: reorderDraw, jitter: jitterDraw)
        return releases.release(from: sent, impairment, draws, counting: &counters)
    }
}
