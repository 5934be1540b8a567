/// Request latencies in microseconds, kept the way HdrHistogram keeps them: exact below 1 ms,
/// then 64 buckets per power of two (relative error under 1.6%), so a run of millions of
/// requests needs a few kilobytes and percentiles come out without storing every sample.
public struct LatencyHistogram: Sendable, Equatable {
    /// Sub-buckets per power of two above the exact range.
    static let subBuckets = 64
    /// Values below this are counted exactly (one bucket per microsecond).
    static let exactLimit = 1024
    /// Octaves above the exact range: up to 2^(10+30) µs, far beyond any timeout.
    static let octaves = 30

    private var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var minimum: UInt64 = .max
    public private(set) var maximum: UInt64 = 0
    /// Sums for the mean and the standard deviation (in µs and µs²; Double: no overflow).
    private var sum = 0.0
    private var sumOfSquares = 0.0

    public init() {
        counts = [UInt64](repeating: 0, count: Self.exactLimit + Self.octaves * Self.subBuckets)
    }

    /// The bucket a value falls in, and the smallest value of each bucket (its representative,
    /// so reported percentiles never exceed what was measured).
    static func bucket(of value: UInt64) -> Int {
        if value < UInt64(exactLimit) { return Int(value) }
        let octave = 63 - value.leadingZeroBitCount - 10  // 0 for 1024..<2048
        let shift = octave + 10 - 6  // keep the top 6 bits below the leading one
        let sub = Int((value >> UInt64(shift)) & UInt64(subBuckets - 1))
        return min(exactLimit + octave * subBuckets + sub, exactLimit + octaves * subBuckets - 1)
    }

    static func lowestValue(ofBucket index: Int) -> UInt64 {
        if index < exactLimit { return UInt64(index) }
        let octave = (index - exactLimit) / subBuckets
        let sub = UInt64((index - exactLimit) % subBuckets)
        let shift = UInt64(octave + 10 - 6)
        return (UInt64(1) << UInt64(octave + 10)) | (sub << shift)
    }

    public mutating func record(microseconds value: UInt64) {
        counts[Self.bucket(of: value)] += 1
        count += 1
        minimum = Swift.min(minimum, value)
        maximum = Swift.max(maximum, value)
        let double = Double(value)
        sum += double
        sumOfSquares += double * double
    }

    public mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        count += other.count
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        sum += other.sum
        sumOfSquares += other.sumOfSquares
    }

    public var mean: Double { count == 0 ? 0 : sum / Double(count) }

    /// Population standard deviation, as wrk reports it.
    public var standardDeviation: Double {
        guard count > 1 else { return 0 }
        let mean = self.mean
        return (Swift.max(0, sumOfSquares / Double(count) - mean * mean)).squareRoot()
    }

    /// The value at or below which `percent` of the samples lie (nearest rank), clamped to the
    /// measured minimum and maximum; 0 with no samples.
    public func percentile(_ percent: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = Swift.max(1, UInt64((percent / 100 * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, bucketCount) in counts.enumerated() where bucketCount > 0 {
            seen += bucketCount
            if seen >= rank {
                return Swift.min(Swift.max(Self.lowestValue(ofBucket: index), minimum), maximum)
            }
        }
        return maximum
    }
}
