import Foundation
import XCTest

/// `netlab sniff --http`, `--json` and `stats` on a capture whose HTTP breaks: the malformed
/// messages appear with reason, rule, byte and frame, the warnings with their rule, and SSH-like
/// or echoed text on other connections is not reported as HTTP.
final class HTTPMalformedCaptureTests: XCTestCase {
    /// A pcap (LINKTYPE_IPV4) of three connections: a request with a leading empty line and
    /// whitespace before a colon, its response, then a request whose NUL arrives in a second
    /// frame; a response with a four-digit status; an echo of "hello world".
    static func capture() -> [UInt8] {
        var frames: [[UInt8]] = []
        func segment(_ from: UInt8, _ sport: UInt16, _ dport: UInt16, _ flags: UInt8, _ seq: UInt32, _ text: [UInt8]) {
            let total = 40 + text.count
            var packet: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0x40, 0, 64, 6, 0, 0]
            packet += from == 1 ? [10, 0, 0, 1, 10, 0, 0, 2] : [10, 0, 0, 2, 10, 0, 0, 1]
            packet += [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF)]
            packet += [UInt8(seq >> 24), UInt8((seq >> 16) & 0xFF), UInt8((seq >> 8) & 0xFF), UInt8(seq & 0xFF)]
            packet += [0, 0, 0, 0, 0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0] + text
            frames.append(packet)
        }
        func connection(_ port: UInt16, _ server: UInt16, _ exchange: [(UInt8, String)]) {
            var seqs: [UInt8: UInt32] = [1: 100, 2: 900]
            segment(1, port, server, 0x02, 99, [])
            segment(2, server, port, 0x12, 899, [])
            for (from, text) in exchange {
                let bytes = Array(text.utf8)
                if from == 1 {
                    segment(1, port, server, 0x18, seqs[1]!, bytes)
                } else {
                    segment(2, server, port, 0x18, seqs[2]!, bytes)
                }
                seqs[from]! += UInt32(bytes.count)
            }
        }
        connection(
            40000, 8080,
            [
                (1, "\r\nQUERY /a HTTP/1.1\r\nHost : x\r\n\r\n"), (2, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
                (1, "GET /b HTTP/1.1\r\nHost: x\r\nX-Bad: a"), (1, "\u{0}b\r\n\r\n"),
            ])
        connection(40001, 9000, [(1, "GET / HTTP/1.1\r\nHost: y\r\n\r\n"), (2, "HTTP/1.1 2000 OK\r\n\r\n")])
        connection(40002, 7, [(1, "hello world\n"), (2, "hello world\n"), (1, "SSH-2.0-x y\r\n")])
        var file: [UInt8] = [
            0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 228, 0, 0, 0,
        ]
        for (index, frame) in frames.enumerated() {
            let length = UInt32(frame.count)
            let le = [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), UInt8((length >> 16) & 0xFF), 0]
            file += [UInt8(index), 0, 0, 0, 0, 0, 0, 0] + le + le + frame
        }
        return file
    }

    func testMalformedHTTPIsShownWithRuleByteAndFrame() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-malformed-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("malformed.pcap").path
        FileManager.default.createFile(atPath: path, contents: Data(Self.capture()))

        let http = try Harness.run(["sniff", "-r", path, "--http"]).stdout
        XCTAssertTrue(http.contains("QUERY /a HTTP/1.1  Host: x\n"), http)
        XCTAssertTrue(http.contains("    note: 1 empty line before the start line, skipped (RFC 9112 §2.2)"), http)
        XCTAssertTrue(
            http.contains("a strict server refuses this (RFC 9112 §5.1) at byte 25 in frame 3"), http)
        XCTAssertTrue(
            http.contains(
                "GET /b HTTP/1.1  Host: x  [malformed: control character in field value (RFC 9110 §5.5) "
                    + "at byte 67 in frame 6: \"X-Bad: a\\x00\"]"), http)
        XCTAssertTrue(
            http.contains("response  [malformed: status code is not three digits (RFC 9112 §4) at byte 9 in frame 10"),
            http)
        XCTAssertFalse(http.contains("stream 2"), "the echo connection is not HTTP:\n\(http)")

        let explain = try Harness.run(["sniff", "-r", path, "--explain"]).stdout
        XCTAssertTrue(explain.contains("  HTTP frames 5-6  stream 0"), explain)
        XCTAssertTrue(explain.contains("[malformed: control character in field value (RFC 9110 §5.5)"), explain)

        let json = try Harness.run(["sniff", "-r", path, "--json"]).stdout
        let messages = try json.split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["type"] as? String == "http" }
        XCTAssertEqual(messages.map { $0["malformed"] as? Bool }, [false, false, true, false, true])
        // Every key, malformed or not, is documented (FlowViewTests checks the tables' shape).
        let doc = try String(contentsOf: Harness.root.appendingPathComponent("docs/json.md"), encoding: .utf8)
        for message in messages {
            var keys = Set(message.keys)
            for warning in message["warnings"] as? [[String: Any]] ?? [] { keys.formUnion(warning.keys) }
            for key in keys { XCTAssertTrue(doc.contains("`\(key)`"), "docs/json.md lacks \(key)") }
        }
        let broken = messages[4]
        XCTAssertEqual(broken["direction"] as? String, "response")
        XCTAssertEqual(broken["error_kind"] as? String, "bad_status")
        XCTAssertEqual(broken["error_offset"] as? Int, 9)
        XCTAssertEqual(broken["error_frame"] as? Int, 10)
        XCTAssertNil(broken["status"])
        let warning = try XCTUnwrap((messages[0]["warnings"] as? [[String: Any]])?.first)
        XCTAssertEqual(warning["rule"] as? String, "RFC 9112 §5.1")
        XCTAssertEqual(warning["frame"] as? Int, 3)

        // Lesson 3's checks: the malformed messages do not count, and the check says why.
        let lesson = try Harness.run(["lesson", "check", "3", "--capture", path]).stdout
        XCTAssertTrue(
            lesson.contains(
                "malformed response in stream 1: status code is not three digits (RFC 9112 §4, byte 9, frame 10)"),
            lesson)
        XCTAssertTrue(
            lesson.contains("QUERY /a → 200 (HTTP/1.1), GET /b → never answered: the request was malformed"), lesson)

        let stats = try Harness.run(["stats", "-r", path]).stdout
        XCTAssertTrue(stats.contains("  malformed: 2 (not counted above)\n"), stats)
        XCTAssertTrue(stats.contains("    RFC 9112 §4 bad_status  1\n"), stats)
        XCTAssertTrue(stats.contains("    RFC 9112 §5.1 whitespace_before_colon  1\n"), stats)
    }
}
