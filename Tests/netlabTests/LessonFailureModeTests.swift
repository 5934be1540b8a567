import Foundation
import Labs
import XCTest

/// Every lesson's check grades the lesson's point: its bundled capture passes, and a capture
/// of the mistake the lesson teaches (recorded by captures/record.sh beside it) fails exactly
/// the checks that mistake breaks, each saying what was found and printing its advice.
final class LessonFailureModeTests: XCTestCase {
    struct FailureMode {
        var lesson: Int
        var capture: String
        /// The kinds (and arguments) of the checks that must fail, in the lesson's order.
        var failing: [String]
        /// What each failing check must report having found.
        var found: [String]
    }

    static let modes: [FailureMode] = [
        .init(
            lesson: 1, capture: "captures/lesson-01-no-listener.pcap", failing: ["handshake", "echoed"],
            found: ["a SYN, but not the whole handshake", "no connection carried bytes from its client"]),
        .init(
            lesson: 2, capture: "captures/lesson-02-unread-close.pcap", failing: ["echoed", "teardown"],
            found: ["the echo stops after byte", "(the connection was reset)"]),
        .init(
            lesson: 3, capture: "captures/lesson-03-lowercase-method.pcap",
            failing: ["http-exchange DELETE /notes.txt 405", "http-header Allow"],
            found: ["delete /notes.txt → 501", "(method names are case-sensitive)", "no message carried Allow"]),
        .init(
            lesson: 4, capture: "captures/lesson-04-serial-timeout.pcap", failing: ["served-concurrently 2"],
            found: ["came after the client had given up"]),
        .init(
            lesson: 5, capture: "captures/lesson-05-closed-first.pcap", failing: ["keep-alive 2"],
            found: ["2 requests on one connection", "1 answered: the server closed before answering the rest"]),
        .init(
            lesson: 6, capture: "captures/lesson-06-no-empty-line.pcap",
            failing: ["http-exchange GET /notes.txt 200 HTTP/1.1"],
            found: ["the client sent \"GET /notes.txt HTTP/1.0\\r\\n\" but never the empty line"]),
        .init(
            lesson: 7, capture: "captures/lesson-07-no-receiver.pcap", failing: ["udp-to-open-port 3"],
            found: ["no datagram to a port with a receiver", "answered by port unreachable"]),
        .init(
            lesson: 8, capture: "captures/lesson-08-one-port.pcap", failing: ["refused"],
            found: ["no SYN answered by RST"]),
        .init(
            lesson: 9, capture: "captures/lesson-09-unframed.pcap", failing: ["framed file"],
            found: ["these bytes are not framed", "the receiver refused"]),
        .init(
            lesson: 10, capture: "captures/lesson-10-no-loss.pcap", failing: ["udp-lost 1"],
            found: ["0 lost"]),
        .init(
            lesson: 15, capture: "captures/lesson-15-cookie-dropped.pcap", failing: ["cookie-returned"],
            found: ["Set-Cookie seen (visits=1, visits=1)", "no request sent a cookie back"]),
        .init(
            lesson: 16, capture: "captures/lesson-16-latin1-as-utf8.pcap", failing: ["utf8-text request"],
            found: ["POST /echo: byte FC at body offset 2 is not UTF-8", "latin-1 bytes labelled charset=utf-8"]),
        .init(
            lesson: 17, capture: "captures/lesson-17-serial-bench.pcap", failing: ["served-overlapping 10"],
            found: ["at most 1 served at the same time", "answered only after the client had given up"]),
        .init(
            lesson: 18, capture: "captures/lesson-18-fast-reader.pcap", failing: ["zero-window", "window-probe"],
            found: ["no zero window: every window advertised had room", "no zero window, so nothing to probe"]),
        .init(
            lesson: 19, capture: "captures/lesson-19-loopback.pcap", failing: ["mss 1460", "retransmissions 1"],
            found: ["MSS offered: SYN 65495", "no data segment was sent twice"]),
        .init(
            lesson: 20, capture: "captures/lesson-20-loopback.pcap", failing: ["mss 1460", "segments-within-mss 5"],
            found: ["MSS offered: SYN 65495", "(MSS 65495)"]),
        // lessons 11–14
        .init(
            lesson: 11, capture: "captures/lesson-11-no-reuseaddr.pcap", failing: ["address-reused"],
            found: ["the next connection to it was refused", "could not bind the port (EADDRINUSE)"]),
        .init(
            lesson: 12, capture: "captures/lesson-12-no-newline.pcap", failing: ["broadcast 2"],
            found: ["0 of 0 lines", "1 sent without a final newline (\"hello, bob\")"]),
        .init(
            lesson: 13, capture: "captures/lesson-13-ignored.pcap", failing: ["ping-answered 3"],
            found: ["3 echo requests, 0 answered", "no reply to id"]),
        .init(
            lesson: 14, capture: "captures/lesson-14-no-server.pcap",
            failing: ["dns-answered 3", "dns-cname", "dns-rcode NXDOMAIN"],
            found: ["0 answered with the same id and question", "no answer to id", "no answer with a CNAME"]),
    ]

    func testEveryLessonPassesItsCaptureAndFailsItsFailureMode() throws {
        let lessons = try Lesson.all(in: LessonTests.lessonsDirectory)
        XCTAssertEqual(Set(Self.modes.map(\.lesson)), Set(lessons.map(\.number)), "one failure mode per lesson")
        var report: [String] = []
        for mode in Self.modes {
            let lesson = try XCTUnwrap(lessons.first { $0.number == mode.lesson })
            let names = lesson.expectations.map {
                [$0.kind.rawValue, $0.argument].compactMap { $0 }.joined(separator: " ")
            }
            let bundled = try XCTUnwrap(lesson.bundledCapture)
            let pass = try Harness.run(["lesson", "check", String(mode.lesson), "--capture", bundled])
            XCTAssertEqual(pass.status, 0, "lesson \(mode.lesson) on \(bundled):\n\(pass.stdout)\(pass.stderr)")

            let fail = try Harness.run(["lesson", "check", String(mode.lesson), "--capture", mode.capture])
            XCTAssertEqual(fail.status, 1, "lesson \(mode.lesson) on \(mode.capture):\n\(fail.stdout)\(fail.stderr)")
            // The verdict prints one line per expectation, in the lesson's order.
            let lines = fail.stdout.split(separator: "\n").map(String.init)
            let verdicts = lines.filter { $0.hasPrefix("✓") || $0.hasPrefix("✗") }
            XCTAssertEqual(verdicts.count, names.count, fail.stdout)
            let failed = zip(names, verdicts).filter { $0.1.hasPrefix("✗") }
            XCTAssertEqual(failed.map(\.0), mode.failing, "lesson \(mode.lesson) on \(mode.capture):\n\(fail.stdout)")
            let failedText = failed.map(\.1).joined(separator: "\n")
            for found in mode.found {
                XCTAssertTrue(failedText.contains(found), "lesson \(mode.lesson): '\(found)' not in\n\(failedText)")
            }
            for (expectation, name) in zip(lesson.expectations, names) where mode.failing.contains(name) {
                XCTAssertTrue(
                    fail.stdout.contains("  • " + expectation.hint), "lesson \(mode.lesson): advice for \(name)")
            }
            report.append(
                "lesson \(mode.lesson): \(bundled) passes; \(mode.capture) fails \(mode.failing.joined(separator: ", "))"
            )
        }
        print("\nLESSON FAILURE MODES:\n  " + report.joined(separator: "\n  "))
    }

    /// A bad argument is an error, like an unknown kind: never a check that cannot pass.
    func testBadArgumentsAreErrors() {
        let bad = [
            "expect echoed two: x", "expect framed zip: x", "expect http-exchange GET /: x",
            "expect http-exchange GET / abc: x", "expect http-exchange GET / 200 1.1: x", "expect keep-alive 1: x",
            "expect refused 3: x", "expect http-status 20: x", "expect udp-lost 0: x", "expect http-header: x",
            "expect mss: x", "expect mss 0: x", "expect mss 70000: x", "expect zero-window 2: x",
            "expect window-probe yes: x", "expect retransmissions 0: x", "expect segments-within-mss many: x",
            // lessons 11–14
            "expect address-reused 2: x", "expect accept-queued x: x", "expect broadcast 0: x",
            "expect ping-answered many: x", "expect dns-answered -1: x", "expect dns-rcode NXDomain: x",
            "expect dns-rcode: x", "expect dns-cname www: x",
        ]
        for line in bad {
            XCTAssertNil(Expectation(line: line), line)
            let problem = Expectation.problem(line: line)
            XCTAssertTrue(problem?.hasPrefix("bad check: '\(line)'") == true, "\(line): \(problem ?? "nil")")
        }
        for line in [
            "expect echoed: x", "expect echoed 12: x", "expect framed json-header: x", "expect keep-alive: x",
            "expect http-exchange GET / 200 HTTP/1.1: x", "expect udp-to-open-port 3: x",
            "expect mss 1460: x", "expect zero-window: x", "expect window-probe: x", "expect retransmissions: x",
            "expect segments-within-mss 5: x",
            "expect address-reused: x", "expect accept-queued: x", "expect broadcast 2: x", "expect ping-answered 3: x",
            "expect dns-answered 3: x", "expect dns-rcode NXDOMAIN: x", "expect dns-cname: x",
        ] {
            XCTAssertNotNil(Expectation(line: line), line)
            XCTAssertNil(Expectation.problem(line: line), line)
        }
    }
}
