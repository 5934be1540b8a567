import Foundation
import XCTest

/// Connections in shapes that once fell between the views (`scripts/gen-packets.py --flows`):
/// TCP over IPv6 with hop-by-hop and destination options, a SYN-ACK recorded before its SYN,
/// and segments split into IPv4 and IPv6 fragments. `stats` and `follow` are compared with the
/// installed tshark; `ladder` and a lesson check must see the same connection.
final class ConnectionShapeTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        guard let python = GeneratedDifferentialTests.python() else {
            throw XCTSkip("SKIPPED: no python3 to run scripts/gen-packets.py (set NETLAB_TEST_PYTHON)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-shapes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = Harness.root.appendingPathComponent("scripts/gen-packets.py").path
        let (status, _, err) = try Harness.runProcess(
            URL(fileURLWithPath: python), [script, "--flows", "--out", directory.path], timeout: 60)
        XCTAssertEqual(status, 0, String(decoding: err, as: UTF8.self))
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func conversations(_ text: String) -> [String] {
        text.split(separator: "\n").filter { $0.contains("<->") }.map(String.init)
    }

    func testStatsAndFollowEqualTshark() throws {
        guard let tshark = TCPAnalysisTestsPaths.tshark else {
            throw XCTSkip("SKIPPED: tshark is not installed (scripts/setup.sh installs it)")
        }
        for name in ["tcp-ipv6-options.pcap", "synack-first.pcap", "tcp-fragmented.pcap", "tcp6-fragmented.pcap"] {
            let mine = try Harness.run(["stats", "-r", path(name)])
            XCTAssertEqual(mine.status, 0, mine.stderr)
            let theirs = try TCPAnalysisTestsPaths.run(tshark, ["-n", "-r", path(name), "-q", "-z", "conv,tcp"])
            XCTAssertEqual(conversations(mine.stdout), conversations(theirs), "\(name): stats differs from tshark")
            XCTAssertEqual(conversations(mine.stdout).count, 1, "\(name): one connection")
            let followed = try Harness.run(["follow", "-r", path(name)])
            let reference = try TCPAnalysisTestsPaths.run(
                tshark, ["-n", "-r", path(name), "-q", "-z", "follow,tcp,ascii,0"])
            XCTAssertEqual(followed.stdout, reference, "\(name): follow differs from tshark")
        }
    }

    func testLadderAndLessonSeeTheIPv6Connection() throws {
        let ladder = try Harness.run(["ladder", "-r", path("tcp-ipv6-options.pcap")])
        XCTAssertEqual(ladder.status, 0, ladder.stderr)
        XCTAssertTrue(ladder.stdout.contains("client [2001:db8::1]:40000"), ladder.stdout)
        XCTAssertEqual(ladder.stdout.split(separator: "\n").filter { $0.contains("|") }.count, 8, ladder.stdout)
        // The capture is an HTTP exchange, not an echo: lesson 2 sees the connection (handshake,
        // teardown, the bytes of both directions) and rightly says the echo is missing.
        let lesson = try Harness.run(["lesson", "check", "2", "--capture", path("tcp-ipv6-options.pcap")])
        XCTAssertTrue(
            lesson.stdout.contains(
                "✓ a complete three-way handshake (三次握手) — stream 0: [2001:db8::1]:40000 → [2001:db8::2]:8080"),
            lesson.stdout)
        XCTAssertTrue(lesson.stdout.contains("✓ a teardown with a FIN from each side"), lesson.stdout)
        XCTAssertTrue(lesson.stdout.contains("27 bytes sent, 40 came back"), lesson.stdout)
        XCTAssertTrue(lesson.stdout.contains("1 of 3 missing"), lesson.stdout)
    }

    func testSynAckBeforeSynIsOneConnection() throws {
        let ladder = try Harness.run(["ladder", "-r", path("synack-first.pcap")])
        XCTAssertEqual(ladder.status, 0, ladder.stderr)
        XCTAssertEqual(ladder.stdout.split(separator: "\n").filter { $0.contains("|") }.count, 8, ladder.stdout)
        XCTAssertTrue(ladder.stdout.contains("ESTABLISHED"), ladder.stdout)
        let second = try Harness.run(["ladder", "-r", path("synack-first.pcap"), "--stream", "1"])
        XCTAssertNotEqual(second.status, 0, "a second stream: the SYN split the connection")
    }

    /// Each fragment prints as tcpdump prints it (the first with its TCP header, the second as
    /// `ip-proto-6`); the connection views see the segment once, at the frame that completed it.
    func testFragmentsAreReassembledForTheConnection() throws {
        let sniff = try Harness.run(["sniff", "-r", path("tcp-fragmented.pcap")])
        let lines = sniff.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 9)
        XCTAssertTrue(lines[3].contains("40002 > 10.0.0.2.8080: Flags [P.]"), lines[3])
        XCTAssertTrue(lines[4].hasSuffix("10.0.0.1 > 10.0.0.2: ip-proto-6"), lines[4])
        for name in ["tcp-fragmented.pcap", "tcp6-fragmented.pcap"] {
            let http = try Harness.run(["sniff", "-r", path(name), "--http"])
            let messages = http.stdout.split(separator: "\n")
            XCTAssertEqual(messages.count, 2, http.stdout)
            XCTAssertTrue(http.stdout.contains("HTTP/1.1 200 OK"), http.stdout)
            XCTAssertTrue(
                messages.first?.hasPrefix(name == "tcp-fragmented.pcap" ? "frames 5-5" : "frames 4-4") ?? false,
                http.stdout)
        }
    }
}
