import Sockets
import TestSupport
import XCTest

/// The histogram against the exact answer: thousands of seeded samples from several shapes,
/// sorted, and every percentile, the mean and the deviation compared.
final class LatencyHistogramTests: XCTestCase {
    func testPercentilesAgreeWithSortedSamplesWithinTheBucketError() {
        let seeds = Int(ProcessInfo.processInfo.environment["NETLAB_HISTOGRAM_SEEDS"] ?? "") ?? 200
        var checked = 0
        for seed in 1...seeds {
            var random = SeededGenerator(state: UInt64(seed))
            let count = Int.random(in: 1...2_000, using: &random)
            let shape = seed % 4
            var samples: [UInt64] = []
            for _ in 0..<count {
                switch shape {
                case 0: samples.append(UInt64.random(in: 0..<1024, using: &random))  // exact range
                case 1: samples.append(UInt64.random(in: 0..<5_000_000, using: &random))
                case 2: samples.append(UInt64(1) << UInt64.random(in: 0..<36, using: &random))  // powers of two
                default:
                    // Long-tailed, like real latencies: mostly small, a few huge.
                    let base = UInt64.random(in: 50..<400, using: &random)
                    samples.append(random.next() % 50 == 0 ? base * 1_000 : base)
                }
            }
            var histogram = LatencyHistogram()
            for sample in samples { histogram.record(microseconds: sample) }
            let sorted = samples.sorted()
            XCTAssertEqual(histogram.count, UInt64(count))
            XCTAssertEqual(histogram.minimum, sorted.first)
            XCTAssertEqual(histogram.maximum, sorted.last)
            for percent in [0.1, 1, 25, 50, 75, 90, 99, 99.9, 100] {
                let rank = max(1, Int((percent / 100 * Double(count)).rounded(.up)))
                let exact = sorted[rank - 1]
                let reported = histogram.percentile(percent)
                // A bucket spans 1/64 of its power of two: the reported value is its lowest
                // value, never above the exact one, and within 1/64 below it.
                XCTAssertLessThanOrEqual(reported, exact, "seed \(seed) p\(percent)")
                XCTAssertGreaterThanOrEqual(
                    Double(reported), Double(exact) * (1 - 1.0 / 64) - 1, "seed \(seed) p\(percent)")
                checked += 1
            }
            let mean = Double(samples.reduce(0, +)) / Double(count)
            XCTAssertEqual(histogram.mean, mean, accuracy: max(1e-6, mean * 1e-9), "seed \(seed)")
            let variance = samples.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
            XCTAssertEqual(
                histogram.standardDeviation, variance.squareRoot(), accuracy: max(1e-3, variance.squareRoot() * 1e-6),
                "seed \(seed)")
        }
        print("LatencyHistogram: \(checked) percentiles over \(seeds) seeded sample sets, all within one bucket")
    }

    func testMergingEqualsRecordingEverythingInOne() {
        var random = SeededGenerator(state: 7)
        var whole = LatencyHistogram(), left = LatencyHistogram(), right = LatencyHistogram()
        for index in 0..<10_000 {
            let sample = random.next() % 3_000_000
            whole.record(microseconds: sample)
            if index % 3 == 0 { left.record(microseconds: sample) } else { right.record(microseconds: sample) }
        }
        left.merge(right)
        XCTAssertEqual(left.count, whole.count)
        for percent in [50.0, 90, 99, 99.9] { XCTAssertEqual(left.percentile(percent), whole.percentile(percent)) }
        XCTAssertEqual(left.maximum, whole.maximum)
        XCTAssertEqual(left.mean, whole.mean, accuracy: 1e-6)
    }

    func testEmptyHistogramReportsZeros() {
        let empty = LatencyHistogram()
        XCTAssertEqual(empty.percentile(99), 0)
        XCTAssertEqual(empty.mean, 0)
        XCTAssertEqual(empty.standardDeviation, 0)
    }
}
