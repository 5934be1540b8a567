import Capture
import Foundation
import TestSupport
import XCTest

/// The drop warning's logic without an overloaded machine: seeded sequences of counter reads
/// (increments of every size, the 32-bit counter wrapping, reads close together and far
/// apart) checked against an independent model: one warning per second at most, each with
/// the drops since the previous one, nothing lost and nothing counted twice.
/// NETLAB_LONG_TESTS=1 runs 50 times as many sequences.
final class DropMonitorTests: XCTestCase {

    static var sequences: Int { ProcessInfo.processInfo.environment["NETLAB_LONG_TESTS"] == nil ? 2_000 : 100_000 }

    func testWarnsAtMostOncePerSecondAndCountsEveryDrop() {
        let start = ContinuousClock.now
        var warnings = 0, quiet = 0
        for seed in 0..<UInt64(Self.sequences) {
            var random = SeededGenerator(state: seed)
            var monitor = DropMonitor()
            // Reference model: total drops (64-bit), drops already warned about, last warning time (ms).
            // libpcap's counter starts at 0 when the capture opens.
            var counter: UInt32 = 0
            var total: UInt64 = 0, told: UInt64 = 0
            var lastWarningMs: Int?
            var nowMs = 0
            for _ in 0..<Int.random(in: 1...40, using: &random) {
                nowMs += [0, 1, 50, 300, 999, 1000, 1001, 2500][Int.random(in: 0..<8, using: &random)]
                let added: UInt32 =
                    switch Int.random(in: 0..<4, using: &random) {
                    case 0: 0
                    case 1: UInt32.random(in: 1...10, using: &random)
                    case 2: UInt32.random(in: 1...1_000_000, using: &random)
                    default: UInt32.random(in: 1...UInt32.max, using: &random)  // wraps the counter
                    }
                counter &+= added
                total += UInt64(added)
                let expected: UInt64?
                if total > told, lastWarningMs.map({ nowMs - $0 >= 1000 }) ?? true {
                    expected = total - told
                    told = total
                    lastWarningMs = nowMs
                } else {
                    expected = nil
                }
                let got = monitor.observe(kernelDropped: counter, at: start + .milliseconds(nowMs))
                XCTAssertEqual(got, expected, "seed \(seed) at \(nowMs) ms")
                XCTAssertEqual(monitor.dropped, total, "seed \(seed)")
                XCTAssertEqual(monitor.reported, told, "seed \(seed)")
                XCTAssertEqual(monitor.captureIsIncomplete, total > 0, "seed \(seed)")
                if got != nil { warnings += 1 } else if total > told { quiet += 1 }
            }
        }
        // Both paths were exercised: warnings given, and drops held back by the rate limit.
        XCTAssertGreaterThan(warnings, 1000)
        XCTAssertGreaterThan(quiet, 1000)
    }

    func testSustainedLossWarnsOncePerSecond() {
        // Drops at every 10 ms read for 10 s: ten warnings, every drop counted once.
        let start = ContinuousClock.now
        var monitor = DropMonitor()
        var counter: UInt32 = 0
        var warned: [(Int, UInt64)] = []
        for tick in 0..<1000 {
            counter += 7
            if let count = monitor.observe(kernelDropped: counter, at: start + .milliseconds(tick * 10)) {
                warned.append((tick * 10, count))
            }
        }
        XCTAssertEqual(warned.map(\.0), Array(stride(from: 0, to: 10_000, by: 1000)))
        XCTAssertEqual(warned.first?.1, 7)
        XCTAssertEqual(warned.dropFirst().map(\.1), Array(repeating: 700, count: 9))
        XCTAssertEqual(monitor.dropped, 7000)
        XCTAssertEqual(monitor.reported, 6307)  // the last 693 wait for the next warning (or the summary)
    }

    func testNoDropsNoWarning() {
        let start = ContinuousClock.now
        var monitor = DropMonitor()
        for tick in 0..<100 {
            XCTAssertNil(monitor.observe(kernelDropped: 0, at: start + .milliseconds(tick * 500)))
        }
        XCTAssertFalse(monitor.captureIsIncomplete)
    }

    func testPollsAtMostOncePerInterval() {
        let start = ContinuousClock.now
        var monitor = DropMonitor(pollInterval: .milliseconds(50))
        var polls: [Int] = []
        for ms in 0..<1000 where monitor.pollIsDue(at: start + .milliseconds(ms)) { polls.append(ms) }
        XCTAssertEqual(polls, Array(stride(from: 0, to: 1000, by: 50)))
    }
}
