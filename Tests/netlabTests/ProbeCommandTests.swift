import Foundation
import Labs
import Sockets
import TestSupport
import XCTest

/// The probe's command line and its two renderings: exit status, `--json` (read back by
/// Foundation's JSON parser, an independent reference), `--only`, colour, and, with root, the
/// frames of a failed check.
final class ProbeCommandTests: XCTestCase {
    func testJSONReportOfAFlawedServerAndExitStatus() throws {
        let site = try ProbeTests.Site()
        let server = try ProbeTests.studentServer(root: site.root, flaw: "traversal")
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/"
        let result = try Harness.run(
            [
                "probe", "http", url, "--json", "--only", "safety", "--timeout", "4", "--sentinel", site.sentinel.path,
                "--no-capture",
            ], timeout: 120)
        XCTAssertEqual(result.status, 1, result.stderr)
        let object = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        let checks = try XCTUnwrap(object["checks"] as? [[String: Any]])
        XCTAssertEqual(checks.map { $0["id"] as? String }, SafetyChecksIDs.all)
        let traversal = try XCTUnwrap(checks.first { $0["id"] as? String == "safety.traversal" })
        XCTAssertEqual(traversal["status"] as? String, "failed")
        let evidence = try XCTUnwrap(traversal["evidence"] as? [[String: Any]])
        XCTAssert(evidence.contains { ($0["received"] as? String)?.contains(site.sentinelLine) == true }, "\(evidence)")
        XCTAssertEqual(object["ok"] as? Bool, false)
        XCTAssertEqual(object["capture_note"] as? String, "no frames (--no-capture)")
    }

    func testHumanReportPassesWithoutColourWhenNotATerminal() throws {
        let site = try ProbeTests.Site()
        let server = try ServerProcess(["server", "http", "--root", site.root.path, "--port", "0", "--model", "events"])
        defer { server.stop() }
        let result = try Harness.run(
            [
                "probe", "http", "http://127.0.0.1:\(server.port)/", "--only", "basics", "--only", "stream",
                "--timeout", "4",
                "--no-capture",
            ], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssert(result.stdout.contains("Score: 11/11 checks passed"), result.stdout)
        XCTAssertFalse(result.stdout.contains("\u{1B}["), "colour escapes on a pipe")
    }

    /// Without a file larger than the socket buffers the vanished-client check cannot bite: it is
    /// skipped with a reason naming --large, and a skip does not fail the run.
    func testNoLargeFileSkipsTheVanishedClientCheck() throws {
        let site = try ProbeTests.Site()
        try FileManager.default.removeItem(at: site.root.appendingPathComponent("big.bin"))
        let server = try ServerProcess([
            "server", "http", "--root", site.root.path, "--port", "0", "--model", "threads",
        ])
        defer { server.stop() }
        var probe = HTTPProbe(target: try HTTPURL.parse("http://127.0.0.1:\(server.port)/"))
        probe.timeout = 4
        probe.only = [.connections]
        probe.capture = false
        let report = try probe.run()
        let vanish = try XCTUnwrap(report.results.first { $0.id == "connections.after-vanish" })
        XCTAssertEqual(vanish.status, .skipped)
        XCTAssert(vanish.observed.contains("--large"), vanish.observed)
        XCTAssertEqual(report.results.map(\.status), [.passed, .passed, .passed, .skipped])
        XCTAssert(report.allRequiredPassed)
    }

    func testNothingListeningIsUnavailable() throws {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        let port = listener.localPort
        listener.close()
        let result = try Harness.run(["probe", "http", "http://127.0.0.1:\(port)/", "--timeout", "2"], timeout: 60)
        XCTAssertEqual(result.status, 69, result.stderr)
        XCTAssert(result.stderr.contains("nothing listens"), result.stderr)
    }

    /// Strings of every kind of character through the report's JSON quoting, read back by
    /// JSONSerialization: equal every time (NETLAB_PROBE_CASES for more).
    func testJSONQuotingRoundTripsGeneratedStrings() throws {
        let count = Int(ProcessInfo.processInfo.environment["NETLAB_PROBE_CASES"] ?? "") ?? 3000
        var generator = SeededGenerator(state: 7)
        var mismatches: [String] = []
        for _ in 0..<count {
            let length = Int.random(in: 0...40, using: &generator)
            var text = ""
            for _ in 0..<length {
                let pick = Int.random(in: 0..<4, using: &generator)
                let value: UInt32 =
                    switch pick {
                    case 0: UInt32.random(in: 0...0x1F, using: &generator)
                    case 1: UInt32.random(in: 0x20...0x7E, using: &generator)
                    case 2: UInt32.random(in: 0xA0...0xD7FF, using: &generator)
                    default: UInt32.random(in: 0x1_0000...0x10_FFFF, using: &generator)
                    }
                text.unicodeScalars.append(Unicode.Scalar(value)!)
            }
            let report = ProbeReport(target: text, results: [], model: "m", captureNote: nil)
            let json = ProbeJSON.render(report)
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            if object?["target"] as? String != text { mismatches.append(text.debugDescription) }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) of \(count) differ: \(mismatches.prefix(5))")
    }

    /// With root: the failed check of a flawed server carries its frames as tcpdump lines and a ladder.
    func testFailedCheckCarriesFramesWhenCapturing() throws {
        try Harness.requireLiveCapture()
        let site = try ProbeTests.Site()
        let server = try ProbeTests.studentServer(root: site.root, flaw: "bare-lf")
        defer { server.stop() }
        var probe = HTTPProbe(target: try HTTPURL.parse("http://127.0.0.1:\(server.port)/"))
        probe.timeout = 4
        probe.only = [.basics]
        probe.sentinel = site.sentinel.path
        let report = try probe.run()
        XCTAssertNil(report.captureNote)
        XCTAssertEqual(report.failedIDs, ["basics.crlf"])
        let failed = try XCTUnwrap(report.results.first { $0.id == "basics.crlf" })
        let port = try XCTUnwrap(failed.exchanges.first?.localPort)
        XCTAssert(failed.frames.contains { $0.contains("Flags [S]") && $0.contains(".\(port) >") }, "\(failed.frames)")
        XCTAssert(failed.frames.contains { $0.contains("Flags [F.]") || $0.contains("Flags [R") }, "\(failed.frames)")
        XCTAssertFalse(failed.ladder.isEmpty)
        // Checks that passed carry no frames (the report stays short).
        XCTAssert(report.results.filter { $0.status == .passed }.allSatisfy { $0.frames.isEmpty })
    }
}

enum SafetyChecksIDs {
    static let all: [String?] = ["safety.traversal", "safety.missing-host", "safety.absurd", "safety.survives"]
}
