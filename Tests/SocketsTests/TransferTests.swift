import Foundation
import XCTest

@testable import Sockets

/// Framing, SHA-256, JSON headers and the impairment engine, without a network.
final class TransferTests: XCTestCase {
    func testSHA256KnownAnswers() {
        func digest(_ text: String) -> String {
            var hasher = SHA256()
            hasher.update(Array(text.utf8))
            return SHA256.hex(hasher.finish())
        }
        XCTAssertEqual(digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // Any split of the input gives the same digest (block boundaries inside pieces).
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var whole = SHA256()
        whole.update(bytes)
        let expected = whole.finish()
        for step in [1, 7, 63, 64, 65, 500] {
            var pieces = SHA256()
            var index = 0
            while index < bytes.count {
                pieces.update(Array(bytes[index..<min(index + step, bytes.count)]))
                index += step
            }
            XCTAssertEqual(pieces.finish(), expected, "step \(step)")
        }
    }

    func testSHA256MatchesSha256sum() throws {
        let path = "/usr/bin/sha256sum"
        guard FileManager.default.isExecutableFile(atPath: path) else { throw XCTSkip("SKIPPED: no sha256sum") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-sha-\(UUID())")
        var generator = SeededRandom(seed: 99)
        let data = Data((0..<123_457).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fd = open(file.path, O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(try FileTransfer.hash(fileDescriptor: fd, size: data.count), String(output.prefix(64)))
    }

    func testEveryFramingSurvivesAnySplit() throws {
        let messages: [[UInt8]] = [
            Array("one".utf8), [], Array("a longer message, 2".utf8), Array(repeating: 65, count: 300),
        ]
        for framing in [Framing.length, .jsonHeader, .delimiter] {
            let stream = messages.flatMap { framing.encode($0) }
            for step in [1, 2, 3, 5, 17, stream.count] {
                var deframer = Deframer(framing)
                var out: [[UInt8]] = []
                var index = 0
                while index < stream.count {
                    out += try deframer.add(Array(stream[index..<min(index + step, stream.count)]))
                    index += step
                }
                XCTAssertEqual(out, messages, "\(framing) split every \(step) bytes")
                XCTAssertEqual(deframer.pendingBytes, 0)
            }
        }
        var none = Deframer(.none)
        XCTAssertEqual(try none.add(Array("ab".utf8)), [Array("ab".utf8)], "no framing: pieces as they come")
        var limited = Deframer(.length, maxMessageBytes: 10)
        XCTAssertThrowsError(try limited.add([0, 0, 1, 0]))  // 256 bytes announced: over the limit
        var badHeader = Deframer(.jsonHeader)
        XCTAssertThrowsError(try badHeader.add([0, 2] + Array("{x".utf8)))
        var runaway = Deframer(.delimiter, maxMessageBytes: 8)
        XCTAssertThrowsError(try runaway.add(Array("no newline here at all".utf8)))
    }

    func testFlatJSON() throws {
        let header = FlatJSON([("name", .string("a \"q\" é\n.txt")), ("size", .integer(12)), ("ok", .bool(true))])
        let decoded = try FlatJSON.decode(Array(header.encoded.utf8))
        XCTAssertEqual(decoded, header)
        XCTAssertEqual(decoded.string("name"), "a \"q\" é\n.txt")
        XCTAssertEqual(decoded.integer("size"), 12)
        XCTAssertEqual(try FlatJSON.decode(Array(#" { "a" : -3 , "b":"\u0041\/" } "#.utf8)).string("b"), "A/")
        for bad in [
            "", "[]", "{\"a\":{}}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":\"\u{1}\"}", "{\"a\":99999999999999999999}",
        ] {
            XCTAssertThrowsError(try FlatJSON.decode(Array(bad.utf8)), bad)
        }
        XCTAssertNil(FileTransfer.validateName("photo.jpg"))
        for bad in [
            "", ".", "..", "../x", "a/b", ".hidden", "a\u{0}b", "tab\there", String(repeating: "x", count: 300),
        ] {
            XCTAssertNotNil(FileTransfer.validateName(bad), bad)
        }
    }

    func testImpairmentIsSeededAndNearItsRates() {
        var settings = Impairment()
        settings.loss = 0.1
        settings.duplicate = 0.05
        settings.reorder = 0.02
        settings.seed = 42
        var first = ImpairmentEngine(settings), second = ImpairmentEngine(settings)
        var times: [[Double]] = []
        for index in 0..<10_000 {
            let decision = first.decide(now: Double(index) * 0.001)
            times.append(decision)
            XCTAssertEqual(second.decide(now: Double(index) * 0.001), decision)
        }
        let counters = first.counters
        XCTAssertEqual(counters.seen, 10_000)
        XCTAssertEqual(counters.dropped, times.filter(\.isEmpty).count)
        XCTAssertEqual(counters.forwarded, times.map(\.count).reduce(0, +))
        XCTAssertEqual(Double(counters.dropped) / 10_000, 0.1, accuracy: 0.015)
        XCTAssertEqual(Double(counters.duplicated) / 9_000, 0.05, accuracy: 0.01)
        XCTAssertEqual(Double(counters.reordered) / 9_000, 0.02, accuracy: 0.007)
        settings.seed = 43
        var other = ImpairmentEngine(settings)
        for index in 0..<10_000 { _ = other.decide(now: Double(index) * 0.001) }
        XCTAssertNotEqual(other.counters, counters, "another seed, other decisions")

        XCTAssertEqual(Impairment.parsePercent("5%"), 0.05)
        XCTAssertEqual(Impairment.parsePercent("0.5"), 0.005)
        XCTAssertNil(Impairment.parsePercent("120%"))
        XCTAssertNil(Impairment.parsePercent("x"))
        XCTAssertEqual(Impairment.parseDelay("20±5")?.0, 0.02)
        XCTAssertEqual(Impairment.parseDelay("20ms+-5ms")?.1, 0.005)
        XCTAssertNil(Impairment.parseDelay("5±20"))
        XCTAssertNil(Impairment.parseDelay("-1"))
    }
}
