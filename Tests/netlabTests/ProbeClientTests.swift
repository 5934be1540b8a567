import Foundation
import Labs
import XCTest

/// `netlab probe client` against a Python client written the way students write them, correct
/// by default and with one deliberate flaw per run, and against curl (an independent client
/// that must pass every required check). Each flaw must fail exactly its check, with the bytes
/// that show it.
final class ProbeClientTests: XCTestCase {
    struct Case: Sendable {
        var flaw: String
        var failing: Set<String>
        /// Holds when the failing check's evidence shows the flaw.
        var evidence: @Sendable (ProbeReport) -> Bool
    }

    static func result(_ report: ProbeReport, _ id: String) -> ProbeResult? { report.results.first { $0.id == id } }

    static let cases: [Case] = [
        Case(flaw: "none", failing: []) { _ in true },
        Case(flaw: "ignore-length", failing: ["client.content-length"]) { report in
            // Still waiting for a close when stopped, after a response whose length was given.
            guard let failed = result(report, "client.content-length") else { return false }
            return failed.observed.contains("still running")
                && failed.exchanges.contains { String(decoding: $0.sent, as: UTF8.self).contains("Content-Length: ") }
        },
        Case(flaw: "single-recv", failing: ["client.slow-body"]) { report in
            result(report, "client.slow-body")?.observed.contains("not printed whole") == true
        },
        Case(flaw: "no-host", failing: ["client.host"]) { report in
            guard let failed = result(report, "client.host") else { return false }
            return failed.observed.contains("without Host")
                && failed.exchanges.allSatisfy { !String(decoding: $0.received, as: UTF8.self).contains("Host:") }
        },
        Case(flaw: "bare-lf", failing: ["client.crlf"]) { report in
            result(report, "client.crlf")?.exchanges.first.map {
                String(decoding: $0.received, as: UTF8.self).hasPrefix("GET /probe-")
                    && $0.received.contains(0x0A) && !$0.received.contains(0x0D)
            } == true
        },
    ]

    func testEachClientFlawIsCaughtByItsCheckAndNoOther() throws {
        guard let python = ProbeTests.python else { throw XCTSkip("SKIPPED: no python3 for the fixture clients") }
        let script = Harness.root.appendingPathComponent("Tests/ProbeFixtures/student_http_client.py").path
        var failures: [String] = []
        for test in Self.cases {
            var probe = ClientProbe(command: [python, script, "{url}", "--flaw", test.flaw])
            probe.timeout = 8
            let report = try probe.run()
            let failed = Set(report.failedIDs)
            if failed != test.failing {
                failures.append(
                    "\(test.flaw): failed \(failed.sorted()), expected \(test.failing.sorted())\n"
                        + ProbeText(colour: false).render(report))
            } else if !test.evidence(report) {
                failures.append(
                    "\(test.flaw): the evidence does not show the flaw\n" + ProbeText(colour: false).render(report))
            }
            print(
                "probe client fixture \(test.flaw): \(report.passed)/\(report.passed + report.failed), failed \(failed.sorted())"
            )
        }
        XCTAssert(failures.isEmpty, failures.joined(separator: "\n"))
    }

    /// curl (without -L, so the optional redirect fails) passes every required check; the command
    /// line gives exit status 0 and a JSON report.
    func testCurlPassesEveryRequiredCheck() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            throw XCTSkip("SKIPPED: no /usr/bin/curl")
        }
        let result = try Harness.run(
            ["probe", "client", "--json", "--timeout", "8", "--", "/usr/bin/curl", "-s", "{url}"], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        let object = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        let checks = try XCTUnwrap(object["checks"] as? [[String: Any]])
        XCTAssertEqual(checks.compactMap { $0["id"] as? String }, ClientProbe.checkIDs)
        let failed = checks.filter { $0["status"] as? String == "failed" }.compactMap { $0["id"] as? String }
        XCTAssertEqual(failed, ["client.redirect"], "curl without -L prints the 301's body")
        XCTAssertEqual(object["ok"] as? Bool, true)
    }
}
