import Foundation
import Sockets
import TestSupport
import XCTest

/// Inputs the fuzzer (scripts/fuzz.sh, target `transfer`) found, replayed as ordinary tests,
/// plus a seeded generator around the same property so its neighbours are covered too.
final class FuzzRegressionTests: XCTestCase {
    /// One verdict per way of delivering the bytes: the messages (when none failed) or the failure.
    static func deframe(_ stream: [UInt8], _ framing: Framing, limit: Int, pieces: [Int]) -> [[UInt8]]? {
        var deframer = Deframer(framing, maxMessageBytes: limit)
        var messages: [[UInt8]] = []
        var start = 0
        for length in pieces {
            do {
                messages += try deframer.add(Array(stream[start..<(start + length)]))
            } catch {
                return nil
            }
            start += length
        }
        return messages
    }

    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    /// Found by the fuzzer: a newline-delimited message over the limit was refused when it came
    /// in pieces but delivered when it came in one read (the limit was only checked while no
    /// newline had arrived). Input: mode byte 2 (delimiter framing, limit 64), then the stream.
    func testDelimiterLimitHoldsHoweverTheBytesArrive() {
        let input = Self.bytes(
            hex: "0268656c6c6f0a0a776f726c640a"
                + String(repeating: "78", count: 70) + "0a")
        let stream = Array(input.dropFirst())
        XCTAssertNil(Self.deframe(stream, .delimiter, limit: 64, pieces: [stream.count]), "in one piece")
        XCTAssertNil(Self.deframe(stream, .delimiter, limit: 64, pieces: Array(repeating: 1, count: stream.count)))
    }

    /// Seeded: streams of messages around the limit, in every framing, delivered whole, a byte
    /// at a time and in random pieces, give one verdict. NETLAB_FUZZ_REGRESSION_CASES for more.
    func testEveryFramingGivesOneVerdictForEverySplit() {
        let cases = ProcessInfo.processInfo.environment["NETLAB_FUZZ_REGRESSION_CASES"].flatMap { Int($0) } ?? 3000
        var generator = SeededGenerator(state: 0x5EED_F422)
        let limit = 16
        var failed = 0
        for index in 0..<cases {
            let framing = [Framing.length, .jsonHeader, .delimiter][index % 3]
            var stream: [UInt8] = []
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                // Mostly near the limit; messages without newlines so delimiter framing can carry them.
                let size = Int.random(in: 0...(limit + 4), using: &generator)
                let message = (0..<size).map { _ in UInt8.random(in: 0x20...0x7E, using: &generator) }
                stream += framing.encode(message)
            }
            if Bool.random(using: &generator) { stream.removeLast(Int.random(in: 0...min(3, stream.count))) }
            var pieces: [Int] = []
            var left = stream.count
            while left > 0 {
                let piece = Int.random(in: 1...min(left, 9), using: &generator)
                pieces.append(piece)
                left -= piece
            }
            let whole = Self.deframe(stream, framing, limit: limit, pieces: [stream.count])
            let single = Self.deframe(stream, framing, limit: limit, pieces: Array(repeating: 1, count: stream.count))
            let random = Self.deframe(stream, framing, limit: limit, pieces: pieces)
            if whole != single || whole != random {
                failed += 1
                if failed <= 5 {
                    XCTFail(
                        "\(framing): \(stream) gives \(String(describing: whole)) whole, "
                            + "\(String(describing: single)) byte by byte, \(String(describing: random)) in \(pieces)")
                }
            }
            for message in whole ?? [] where message.count > limit {
                XCTFail("\(framing): a \(message.count)-byte message passed the \(limit)-byte limit")
            }
        }
        XCTAssertEqual(failed, 0, "of \(cases) generated streams")
    }
}
