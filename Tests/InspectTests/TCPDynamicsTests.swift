import TestSupport
import XCTest

@testable import Inspect

/// TCPDynamics and its renderers on their own: RFC 6298's arithmetic by hand, Karn's rule,
/// and seeded random segment streams (times that step back, wrapping sequence numbers, SACK
/// blocks anywhere, any window) that must never trap any renderer.
/// NETLAB_DYNAMICS_CASES sets the number of random streams (default 300).
final class TCPDynamicsTests: XCTestCase {
    func testEstimatorFollowsRFC6298ByHand() {
        var estimator = TCPDynamics.Estimator()
        estimator.add(0.1)
        XCTAssertEqual(estimator.smoothed ?? 0, 0.1, accuracy: 1e-12)
        XCTAssertEqual(estimator.variation, 0.05, accuracy: 1e-12)
        XCTAssertEqual(estimator.rawTimeout ?? 0, 0.3, accuracy: 1e-12)
        XCTAssertEqual(estimator.timeout ?? 0, 1.0, accuracy: 1e-12, "rounded up to 1 s (§2.4)")
        estimator.add(0.2)
        // RTTVAR = 3/4·0.05 + 1/4·|0.1 − 0.2| = 0.0625, then SRTT = 7/8·0.1 + 1/8·0.2 = 0.1125.
        XCTAssertEqual(estimator.variation, 0.0625, accuracy: 1e-12)
        XCTAssertEqual(estimator.smoothed ?? 0, 0.1125, accuracy: 1e-12)
        estimator.add(3.0)
        XCTAssertEqual(estimator.timeout ?? 0, estimator.rawTimeout ?? 0, accuracy: 1e-12, "above the floor")
    }

    static func segment(
        fromClient: Bool, seq: UInt32, ack: UInt32, flags: UInt8, length: Int = 0, window: UInt16 = 1000
    ) -> TCPSegment {
        let a = IPAddress.v4(0x0A00_0001), b = IPAddress.v4(0x0A00_0002)
        var segment = TCPSegment(
            sourceAddress: fromClient ? a : b, destinationAddress: fromClient ? b : a,
            sourcePort: fromClient ? 40000 : 80, destinationPort: fromClient ? 80 : 40000, flags: flags,
            sequence: seq, acknowledgment: ack, window: window, payload: [])
        segment.payloadLength = length
        return segment
    }

    /// Feeds segments through a tracker into one stream's dynamics.
    static func dynamics(_ segments: [(TCPSegment, Double)]) -> TCPDynamics? {
        var tracker = TCPTracker()
        var result: TCPDynamics?
        for (index, (segment, time)) in segments.enumerated() {
            let observation = tracker.process(segment, frame: index + 1, time: time, wireLength: 60)
            guard observation.stream == 0 else { continue }
            if result == nil { result = TCPDynamics(connection: tracker.connection(0)) }
            result?.add(segment, observation: observation, frame: index + 1, time: time, summary: "frame \(index + 1)")
        }
        return result
    }

    func testKarnsRuleTakesNoSampleFromARetransmittedSegment() throws {
        let syn: UInt8 = 0x02, ack: UInt8 = 0x10
        let d = try XCTUnwrap(
            Self.dynamics([
                (Self.segment(fromClient: true, seq: 0, ack: 0, flags: syn), 0),
                (Self.segment(fromClient: false, seq: 500, ack: 1, flags: syn | ack), 0.01),
                (Self.segment(fromClient: true, seq: 1, ack: 501, flags: ack), 0.02),
                (Self.segment(fromClient: true, seq: 1, ack: 501, flags: ack, length: 100), 0.03),
                (Self.segment(fromClient: false, seq: 501, ack: 101, flags: ack), 0.05),  // sample 0.02
                (Self.segment(fromClient: true, seq: 101, ack: 501, flags: ack, length: 100), 0.06),
                (Self.segment(fromClient: true, seq: 101, ack: 501, flags: ack, length: 100), 1.06),  // RTO
                (Self.segment(fromClient: false, seq: 501, ack: 201, flags: ack), 1.08),  // ambiguous: none
            ]))
        XCTAssertEqual(d.samples.map(\.ackFrame), [5])
        XCTAssertEqual(d.samples.first?.sample ?? 0, 0.02, accuracy: 1e-9)
        XCTAssertEqual(d.segments.filter(\.isRetransmission).map(\.frame), [7])
        XCTAssertEqual(d.summary(fromClient: true).acknowledgedBytes, 200)
    }

    func testRandomStreamsNeverTrapAnyRenderer() {
        let cases = ProcessInfo.processInfo.environment["NETLAB_DYNAMICS_CASES"].flatMap(Int.init) ?? 300
        var random = SeededGenerator(state: 0x6772_6170_68)
        var drawn = 0
        for _ in 0..<cases {
            var segments: [(TCPSegment, Double)] = []
            var time = Double.random(in: -5...5, using: &random)
            let base = [UInt32.max - 2000, 0, UInt32.random(in: 0...UInt32.max, using: &random)]
            let start = base[Int.random(in: 0...2, using: &random)]
            for _ in 0..<Int.random(in: 1...60, using: &random) {
                time += [0, 1e-9, 0.01, -0.5, 1e6][Int.random(in: 0...4, using: &random)]
                var segment = Self.segment(
                    fromClient: Bool.random(using: &random),
                    seq: start &+ UInt32.random(in: 0...5000, using: &random),
                    ack: start &+ UInt32.random(in: 0...5000, using: &random),
                    flags: UInt8.random(in: 0...255, using: &random), length: Int.random(in: 0...1500, using: &random),
                    window: UInt16.random(in: 0...UInt16.max, using: &random))
                if Bool.random(using: &random) { segment.windowScale = UInt8.random(in: 0...20, using: &random) }
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    segment.sackBlocks.append(
                        SACKBlock(left: UInt32.random(in: 0...UInt32.max, using: &random), right: start))
                }
                segments.append((segment, time))
            }
            guard let dynamics = Self.dynamics(segments) else { continue }
            var page = TextBuffer(), text = TextBuffer(), report = TextBuffer()
            let graph = TimeSequenceGraph(dynamics)
            graph.renderHTML(into: &page)
            graph.renderText(into: &text)
            TCPDynamicsReport.render(dynamics, into: &report)
            // Every data segment of the direction drawn is one mark on the page.
            let data = dynamics.segments.filter { $0.fromClient == graph.fromClient && $0.length > 0 }.count
            XCTAssertEqual(page.string.components(separatedBy: "<line class=\"seg").count - 1, data)
            XCTAssertTrue(text.string.contains("└"))
            drawn += 1
        }
        XCTAssertGreaterThan(drawn, cases / 2)
    }
}
