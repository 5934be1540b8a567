import TestSupport
import XCTest

@testable import Inspect

/// Which connections a lossy capture leaves with holes, on seeded connections with seeded
/// capture losses: a connection is marked exactly when one of its data segments is missing
/// (missing pure ACKs leave no hole), and only a capture that lost packets makes the mark
/// "capture incomplete". NETLAB_LONG_TESTS=1 runs 20 times as many captures.
final class CaptureCompletenessTests: XCTestCase {

    static var captures: Int { ProcessInfo.processInfo.environment["NETLAB_LONG_TESTS"] == nil ? 500 : 10_000 }

    func segment(
        port: UInt16, fromClient: Bool, _ flags: UInt8, seq: UInt32, ack: UInt32, payload: Int = 0
    ) -> TCPSegment {
        var s = TCPSegment(
            sourceAddress: .v4(fromClient ? 0x0A00_0001 : 0x0A00_0002),
            destinationAddress: .v4(fromClient ? 0x0A00_0002 : 0x0A00_0001),
            sourcePort: fromClient ? port : 80, destinationPort: fromClient ? 80 : port, flags: flags, sequence: seq,
            acknowledgment: ack, window: 1000, payload: [UInt8](repeating: 0x61, count: payload))
        s.payloadLength = payload
        return s
    }

    /// One connection: handshake, `requests` client data segments each ACKed by the server,
    /// then a four-way close. Each element says whether it carries data.
    func connection(port: UInt16, requests: [Int]) -> [(TCPSegment, isData: Bool)] {
        let syn: UInt8 = 0x02, ack: UInt8 = 0x10, finAck: UInt8 = 0x11, psh: UInt8 = 0x18
        var c: UInt32 = 1000, s: UInt32 = 5000
        var out: [(TCPSegment, Bool)] = [
            (segment(port: port, fromClient: true, syn, seq: c, ack: 0), false),
            (segment(port: port, fromClient: false, syn | ack, seq: s, ack: c + 1), false),
            (segment(port: port, fromClient: true, ack, seq: c + 1, ack: s + 1), false),
        ]
        c += 1
        s += 1
        for size in requests {
            out.append((segment(port: port, fromClient: true, psh, seq: c, ack: s, payload: size), true))
            c += UInt32(size)
            out.append((segment(port: port, fromClient: false, ack, seq: s, ack: c), false))
        }
        out.append((segment(port: port, fromClient: true, finAck, seq: c, ack: s), false))
        out.append((segment(port: port, fromClient: false, finAck, seq: s, ack: c + 1), false))
        out.append((segment(port: port, fromClient: true, ack, seq: c + 1, ack: s + 1), false))
        return out
    }

    func testConnectionsWithMissingDataAreMarkedOnlyWhenTheCaptureLostPackets() {
        var marked = 0, clean = 0
        for seed in 0..<UInt64(Self.captures) {
            var random = SeededGenerator(state: seed)
            var tracker = TCPTracker()
            var completeness = CaptureCompleteness()
            var expected: Set<Int> = [], holesSeen: Set<Int> = []
            var frame = 0
            for index in 0..<Int.random(in: 1...4, using: &random) {
                let requests = (0..<Int.random(in: 1...6, using: &random)).map { _ in
                    Int.random(in: 1...900, using: &random)
                }
                // Losses only after the handshake (a capture that starts mid-connection is another story).
                let lossRate = [0.0, 0.1, 0.4][Int.random(in: 0..<3, using: &random)]
                var lostData = false
                var stream: Int?
                for (position, (segment, isData)) in connection(port: UInt16(40000 + index), requests: requests)
                    .enumerated()
                {
                    // The final FIN/ACK exchange stays, so a lost data segment is always followed by a later one.
                    let canLose = position >= 3 && position < 3 + 2 * requests.count
                    if canLose && random.next() % 1000 < UInt64(lossRate * 1000) {
                        lostData = lostData || isData
                        continue
                    }
                    frame += 1
                    let observation = tracker.process(segment, frame: frame, time: Double(frame), wireLength: 60)
                    stream = observation.stream
                    let sighting = completeness.note(observation)
                    let hole = !observation.flags.isDisjoint(with: CaptureCompleteness.holeFlags)
                    if hole || sighting != .noHole {
                        XCTAssertEqual(
                            sighting, holesSeen.insert(observation.stream).inserted ? .firstHole : .anotherHole,
                            "seed \(seed) frame \(frame)")
                    }
                }
                if lostData, let stream { expected.insert(stream) }
            }
            XCTAssertEqual(completeness.streamsWithHoles, expected, "seed \(seed)")
            for stream in 0..<tracker.connections.count {
                XCTAssertFalse(completeness.isIncomplete(stream: stream), "complete capture, seed \(seed)")
            }
            XCTAssertEqual(completeness.incompleteStreams, 0)
            completeness.captureLostPackets = true
            for stream in 0..<tracker.connections.count {
                XCTAssertEqual(completeness.isIncomplete(stream: stream), expected.contains(stream), "seed \(seed)")
            }
            XCTAssertEqual(completeness.incompleteStreams, expected.count)
            marked += expected.count
            clean += tracker.connections.count - expected.count
        }
        XCTAssertGreaterThan(marked, 100)
        XCTAssertGreaterThan(clean, 100)
    }

    func testMessageLineBlamesTheCaptureOnlyWhenTold() {
        let head = HTTPHead(startLine: .request(method: "GET", target: "/"), version: .http11, fields: [])
        var message = HTTPConversation.Message(
            stream: 3, role: .client, kind: .request, head: head, firstFrame: 4, lastFrame: 9)
        func render(_ incomplete: Bool) -> String {
            var out = TextBuffer()
            HTTPMessageLine.render(message, client: "a", server: "b", captureIncomplete: incomplete, into: &out)
            return out.string
        }
        XCTAssertTrue(render(false).contains("[incomplete: the capture ends inside it]"))
        XCTAssertTrue(render(true).contains("[capture incomplete: the kernel dropped packets of this connection]"))
        XCTAssertFalse(render(true).contains("[incomplete: the capture ends"))
        message.complete = true
        XCTAssertEqual(render(true), render(false))  // a whole message is whole either way
        // JSON marks the connection either way, and only when told (the field is absent otherwise).
        var marked = TextBuffer(), plain = TextBuffer()
        JSONLines.http(message, captureIncomplete: true, into: &marked)
        JSONLines.http(message, into: &plain)
        XCTAssertTrue(marked.string.hasSuffix(",\"capture_incomplete\":true}\n"), marked.string)
        XCTAssertFalse(plain.string.contains("capture_incomplete"))
        XCTAssertEqual(marked.string.replacingOccurrences(of: ",\"capture_incomplete\":true", with: ""), plain.string)
    }
}
