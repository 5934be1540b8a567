import XCTest

@testable import Inspect

/// Connection states and stream reassembly on hand-made segments (RFC 9293).
final class FlowTests: XCTestCase {
    func segment(
        _ fromClient: Bool, _ flags: UInt8, seq: UInt32, ack: UInt32 = 0, payload: String = "", window: UInt16 = 1000
    ) -> TCPSegment {
        var s = TCPSegment(
            sourceAddress: .v4(fromClient ? 0x0A00_0001 : 0x0A00_0002),
            destinationAddress: .v4(fromClient ? 0x0A00_0002 : 0x0A00_0001),
            sourcePort: fromClient ? 40000 : 80, destinationPort: fromClient ? 80 : 40000, flags: flags, sequence: seq,
            acknowledgment: ack, window: window, payload: Array(payload.utf8))
        s.payloadLength = s.payload.count
        return s
    }

    let syn: UInt8 = 0x02, ack: UInt8 = 0x10, finAck: UInt8 = 0x11, rstAck: UInt8 = 0x14, psh: UInt8 = 0x18

    /// Runs segments through a tracker; returns the client's and server's states after each.
    func states(_ segments: [TCPSegment]) -> [(TCPState, TCPState)] {
        var tracker = TCPTracker()
        var result: [(TCPState, TCPState)] = []
        for (index, segment) in segments.enumerated() {
            let observation = tracker.process(segment, frame: index + 1, time: Double(index), wireLength: 60)
            let connection = tracker.connection(observation.stream)
            result.append((connection.clientState, connection.serverState))
        }
        return result
    }

    func testHandshakeAndFourWayTeardown() {
        let result = states([
            segment(true, syn, seq: 100), segment(false, syn | ack, seq: 500, ack: 101),
            segment(true, ack, seq: 101, ack: 501),
            segment(true, finAck, seq: 101, ack: 501), segment(false, ack, seq: 501, ack: 102),
            segment(false, finAck, seq: 501, ack: 102), segment(true, ack, seq: 102, ack: 502),
        ])
        XCTAssertEqual(result[0].0, .synSent)
        XCTAssertEqual(result[0].1, .listen)
        XCTAssertEqual(result[1].1, .synReceived)
        XCTAssertEqual(result[2].0, .established)
        XCTAssertEqual(result[2].1, .established)
        XCTAssertEqual(result[3].0, .finWait1)
        XCTAssertEqual(result[3].1, .closeWait)
        XCTAssertEqual(result[4].0, .finWait2)
        XCTAssertEqual(result[5].0, .timeWait)
        XCTAssertEqual(result[5].1, .lastAck)
        XCTAssertEqual(result[6].1, .closed)
    }

    func testThreeSegmentTeardownAndSimultaneousClose() {
        let base = [
            segment(true, syn, seq: 100), segment(false, syn | ack, seq: 500, ack: 101),
            segment(true, ack, seq: 101, ack: 501),
        ]
        let threeWay = states(
            base + [
                segment(true, finAck, seq: 101, ack: 501), segment(false, finAck, seq: 501, ack: 102),
                segment(true, ack, seq: 102, ack: 502),
            ])
        XCTAssertEqual(threeWay[4].0, .timeWait)  // the server's FIN also acked the client's
        XCTAssertEqual(threeWay[4].1, .lastAck)
        XCTAssertEqual(threeWay[5].1, .closed)

        let simultaneous = states(
            base + [
                segment(true, finAck, seq: 101, ack: 501), segment(false, finAck, seq: 501, ack: 101),
                segment(true, ack, seq: 102, ack: 502), segment(false, ack, seq: 502, ack: 102),
            ])
        // Each FIN left before the other arrived: both sides pass through CLOSING to TIME-WAIT.
        XCTAssertEqual(simultaneous[4].0, .closing)
        XCTAssertEqual(simultaneous[4].1, .closing)
        XCTAssertEqual(simultaneous[5].1, .timeWait)
        XCTAssertEqual(simultaneous[6].0, .timeWait)
    }

    func testRefusedResetAndMidstream() {
        let refused = states([segment(true, syn, seq: 100), segment(false, rstAck, seq: 0, ack: 101)])
        XCTAssertEqual(refused[1].0, .closed)
        XCTAssertEqual(refused[1].1, .closed)

        var tracker = TCPTracker()
        let observation = tracker.process(
            segment(false, psh, seq: 900, ack: 300, payload: "late"), frame: 1, time: 0, wireLength: 60)
        let connection = tracker.connection(observation.stream)
        XCTAssertFalse(connection.sawHandshake)
        XCTAssertEqual(connection.client, "10.0.0.1:40000")  // the higher port is taken as the client
        XCTAssertEqual(connection.clientState, .established)
        XCTAssertEqual(observation.delivered, [.data(Array("late".utf8))])
    }

    func testReassemblyOrdersRetransmitsAndOverlaps() {
        var stream = StreamReassembler()
        XCTAssertEqual(stream.add(sequence: 100, payload: [], syn: true), [])
        XCTAssertEqual(stream.add(sequence: 106, payload: Array("world".utf8), syn: false), [])  // early
        XCTAssertEqual(
            stream.add(sequence: 101, payload: Array("hello".utf8), syn: false),
            [.data(Array("hello".utf8)), .data(Array("world".utf8))])
        XCTAssertEqual(stream.add(sequence: 101, payload: Array("hello".utf8), syn: false), [])  // retransmission
        XCTAssertEqual(stream.add(sequence: 109, payload: Array("ld!!".utf8), syn: false), [.data(Array("!!".utf8))])
        XCTAssertEqual(stream.deliveredBytes, 12)
    }

    func testReassemblyWrapsAndGivesUpHolesWithinItsLimit() {
        var stream = StreamReassembler(limit: 8)
        let start: UInt32 = 0xFFFF_FFFC
        XCTAssertEqual(stream.add(sequence: start, payload: [1, 2, 3, 4], syn: false), [.data([1, 2, 3, 4])])
        XCTAssertEqual(stream.add(sequence: 0, payload: [5, 6], syn: false), [.data([5, 6])])  // wrapped
        XCTAssertEqual(stream.add(sequence: 10, payload: [7, 7, 7, 7, 7], syn: false), [])  // hole 2..9
        let chunks = stream.add(sequence: 20, payload: [8, 8, 8, 8, 8], syn: false)  // over the limit
        XCTAssertEqual(chunks.first, .gap(8))
        XCTAssertEqual(chunks.dropFirst().first, .data([7, 7, 7, 7, 7]))
        XCTAssertEqual(stream.gapBytes, 8)
        XCTAssertEqual(stream.waitingBytes, 5)  // bytes 20..24 wait for 15..19
        XCTAssertEqual(stream.flush(), [.gap(5), .data([8, 8, 8, 8, 8])])
    }

    func testLiveStateIsBoundedAndClosedConnectionsKeepTheirCounters() {
        var limits = TCPTracker.Limits()
        limits.liveConnections = 64
        var tracker = TCPTracker(limits: limits)
        var frame = 0
        for port in 0..<1000 {
            var opening = segment(true, syn, seq: 100)
            opening.sourcePort = UInt16(20000 + port)
            frame += 1
            _ = tracker.process(opening, frame: frame, time: Double(frame), wireLength: 60)
            XCTAssertLessThanOrEqual(tracker.liveCount, 64)
        }
        XCTAssertEqual(tracker.connections.count, 1000)
        XCTAssertEqual(tracker.connections.map(\.framesToServer).reduce(0, +), 1000)
        XCTAssertTrue(tracker.connections.allSatisfy { $0.clientState == .synSent })
    }
}
