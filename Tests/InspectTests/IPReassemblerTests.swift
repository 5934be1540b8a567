import TestSupport
import XCTest

@testable import Inspect

/// IP fragment reassembly on seeded random fragmentations: any split, in any order, with
/// duplicates and overlaps, gives the datagram back exactly once; a hole never completes one.
final class IPReassemblerTests: XCTestCase {

    func fragment(_ bytes: [UInt8], offset: Int, more: Bool, id: UInt32, _ body: (IPPacket) -> Void) {
        bytes.withUnsafeBytes { raw in
            let view = ByteView(raw)
            body(
                IPPacket(
                    source: .v4(1), destination: .v4(2), finalDestination: .v4(2), proto: IPProtocol.tcp,
                    transport: view, transportLength: bytes.count, isFragment: true, isLaterFragment: offset != 0,
                    fragment: (id, offset, more)))
        }
    }

    func testRandomFragmentationsReassemble() {
        let runs = Int(ProcessInfo.processInfo.environment["NETLAB_FRAGMENT_RUNS"] ?? "") ?? 3000
        var generator = SeededGenerator(state: 7)
        var completed = 0, withHole = 0
        for run in 0..<runs {
            let size = Int.random(in: 1...3000, using: &generator)
            let payload = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Cut points on 8-byte boundaries (RFC 791), then shuffle, duplicate, overlap, or drop one.
            var cuts = Set<Int>([0])
            for _ in 0..<Int.random(in: 0...6, using: &generator) where size > 8 {
                cuts.insert(Int.random(in: 1...(size - 1) / 8, using: &generator) * 8)
            }
            let starts = cuts.sorted()
            var pieces = starts.enumerated().map { index, start in
                (start, index + 1 < starts.count ? starts[index + 1] : size)
            }
            // A single piece (offset 0, no more fragments) is not a fragment: nothing to test.
            if pieces.count == 1 { pieces = [(0, min(8, size))] + (size > 8 ? [(8, size)] : []) }
            if pieces.count == 1 { continue }
            if Bool.random(using: &generator), let piece = pieces.randomElement(using: &generator) {
                pieces.append(piece)  // a duplicate
            }
            let dropOne = pieces.count > 1 && Int.random(in: 0..<5, using: &generator) == 0
            if dropOne { pieces.remove(at: Int.random(in: 0..<pieces.count, using: &generator)) }
            let hole = dropOne && !(0..<size).allSatisfy { byte in pieces.contains { $0.0 <= byte && byte < $0.1 } }
            pieces.shuffle(using: &generator)
            var reassembler = IPReassembler()
            var results: [[UInt8]] = []
            for (index, (start, end)) in pieces.enumerated() {
                fragment(Array(payload[start..<end]), offset: start, more: end < size, id: UInt32(run)) { ip in
                    if let whole = reassembler.add(ip, frame: index) { results.append(whole) }
                }
            }
            if hole {
                withHole += 1
                XCTAssertEqual(results.count, 0, "run \(run): a datagram with a hole completed")
            } else {
                completed += 1
                XCTAssertLessThanOrEqual(results.count, 1, "run \(run)")
                XCTAssertEqual(results.first, payload, "run \(run): pieces \(pieces)")
            }
        }
        XCTAssertGreaterThan(completed, runs / 2)
        XCTAssertGreaterThan(withHole, 0)
    }

    func testWaitingDatagramsAreBounded() {
        var reassembler = IPReassembler()
        reassembler.limit = 8
        for id in 0..<100 {
            fragment([1, 2, 3, 4, 5, 6, 7, 8], offset: 0, more: true, id: UInt32(id)) { ip in
                XCTAssertNil(reassembler.add(ip, frame: id))
            }
        }
        XCTAssertLessThanOrEqual(reassembler.waiting, 8)
        var small = IPReassembler()
        small.byteLimit = 100
        for id in 0..<100 {
            fragment([UInt8](repeating: 1, count: 48), offset: 0, more: true, id: UInt32(id)) { ip in
                XCTAssertNil(small.add(ip, frame: id))
            }
        }
        XCTAssertLessThanOrEqual(small.waitingBytes, 100)
        XCTAssertEqual(small.waiting, 2)
    }
}
