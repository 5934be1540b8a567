import Foundation
import Inspect
import Labs
import Sockets
import TestSupport
import XCTest

/// `netlab probe http` against servers whose flaws are known: netlab's own models (fork,
/// threads, events pass everything; serial fails exactly the concurrency checks) and a small
/// Python server written the way students write them, correct by default and with one
/// deliberate flaw per run. Each flaw must fail its own checks, with the evidence that shows
/// it, and no other check.
final class ProbeTests: XCTestCase {
    /// A served tree (a listing at `/`, a small file, a directory, an 8 MiB file) and, outside
    /// it, a sentinel file with a line unique to this run.
    final class Site {
        let base: URL
        let root: URL
        let sentinel: URL
        let sentinelLine: String

        init() throws {
            base = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-probe-\(UUID().uuidString)")
            root = base.appendingPathComponent("www")
            let manager = FileManager.default
            try manager.createDirectory(at: root.appendingPathComponent("docs"), withIntermediateDirectories: true)
            try Data("hello, probe\n".utf8).write(to: root.appendingPathComponent("hello.txt"))
            try Data("<p>docs</p>\n".utf8).write(to: root.appendingPathComponent("docs/index.html"))
            var generator = SeededGenerator(state: 15)
            let big = (0..<(8 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try Data(big).write(to: root.appendingPathComponent("big.bin"))
            sentinelLine = "netlab-sentinel-\(UUID().uuidString)"
            sentinel = base.appendingPathComponent("sentinel.txt")
            try Data((sentinelLine + "\nsecond line\n").utf8).write(to: sentinel)
        }

        deinit { try? FileManager.default.removeItem(at: base) }
    }

    /// The Python HTTP fixture server with one flaw, on an ephemeral loopback port.
    static func studentServer(root: URL, flaw: String) throws -> FixtureServer {
        try FixtureServer("student_http_server.py", [root.path, "--flaw", flaw])
    }

    static var python: String? {
        if let path = ProcessInfo.processInfo.environment["NETLAB_TEST_PYTHON"],
            FileManager.default.isExecutableFile(atPath: path)
        {
            return path
        }
        return ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let timeout = 4.0

    func probe(port: UInt16, site: Site, capture: Bool = false) throws -> ProbeReport {
        var probe = HTTPProbe(target: try HTTPURL.parse("http://127.0.0.1:\(port)/"))
        probe.timeout = Self.timeout
        probe.sentinel = site.sentinel.path
        probe.capture = capture
        return try probe.run()
    }

    func describe(_ report: ProbeReport) -> String { ProbeText(colour: false).render(report) }

    /// Each flaw, the checks it must fail (and no others), and what the evidence must show.
    struct Case: Sendable {
        var flaw: String
        var failing: Set<String>
        /// Holds when the failing checks' evidence shows the flaw.
        var evidence: @Sendable (ProbeReport, Site) -> Bool
    }

    static func received(_ report: ProbeReport, _ id: String) -> [[UInt8]] {
        report.results.first { $0.id == id }?.exchanges.map(\.received) ?? []
    }

    static func observed(_ report: ProbeReport, _ id: String) -> String {
        report.results.first { $0.id == id }?.observed ?? ""
    }

    static let cases: [Case] = [
        Case(flaw: "none", failing: []) { _, _ in true },
        Case(flaw: "bare-lf", failing: ["basics.crlf"]) { report, _ in
            // The strict parser names the bare LF, and the bytes show a line ending in \n alone.
            observed(report, "basics.crlf").contains("LF")
                && received(report, "basics.crlf").contains { bytes in
                    bytes.starts(with: Array("HTTP/1.1 200 OK\n".utf8))
                }
        },
        Case(flaw: "no-length", failing: ["basics.get-file", "stream.pipelined"]) { report, _ in
            observed(report, "basics.get-file").contains("no Content-Length")
                && received(report, "basics.get-file").allSatisfy {
                    !String(decoding: $0, as: UTF8.self).contains("Content-Length")
                }
        },
        Case(
            flaw: "single-recv",
            failing: ["stream.one-byte", "stream.pipelined", "stream.body-after-pause", "stream.large-header"]
        ) { report, _ in
            // One byte arrived, the server answered 400 to it: the request shows "G" and a 400.
            let oneByte = report.results.first { $0.id == "stream.one-byte" }?.exchanges.first
            return oneByte.map { String(decoding: $0.received, as: UTF8.self).hasPrefix("HTTP/1.1 400") } ?? false
        },
        Case(flaw: "sigpipe", failing: ["connections.after-vanish"]) { report, _ in
            observed(report, "connections.after-vanish").contains("SIGPIPE")
        },
        Case(flaw: "serial", failing: ["concurrency.idle-client", "concurrency.parallel"]) { report, _ in
            observed(report, "concurrency.idle-client").contains("serial model: see lesson 4")
                && report.model.hasPrefix("serial")
        },
        Case(flaw: "traversal", failing: ["safety.traversal"]) { report, site in
            received(report, "safety.traversal").contains {
                String(decoding: $0, as: UTF8.self).contains(site.sentinelLine)
            }
        },
    ]

    func testEachFlawIsCaughtByItsChecksAndNoOther() throws {
        let site = try Site()
        var failures: [String] = []
        for test in Self.cases {
            let server = try Self.studentServer(root: site.root, flaw: test.flaw)
            defer { server.stop() }
            let report = try probe(port: server.port, site: site)
            let failed = Set(report.failedIDs)
            let skipped = report.results.filter { $0.status == .skipped }.map(\.id)
            if failed != test.failing || !skipped.isEmpty {
                failures.append(
                    "\(test.flaw): failed \(failed.sorted()) (expected \(test.failing.sorted())), skipped \(skipped)\n"
                        + describe(report))
            } else if !test.evidence(report, site) {
                failures.append("\(test.flaw): the evidence does not show the flaw\n" + describe(report))
            }
            // Every failure carries the bytes that show it.
            for result in report.results where result.status == .failed && result.exchanges.isEmpty {
                failures.append("\(test.flaw): \(result.id) failed without evidence")
            }
            print(
                "probe fixture \(test.flaw): \(report.passed)/\(report.passed + report.failed) passed, failed \(failed.sorted())"
            )
        }
        XCTAssert(failures.isEmpty, failures.joined(separator: "\n"))
    }

    func testNetlabServersPassEveryCheckAndSerialFailsOnlyConcurrency() throws {
        let site = try Site()
        var failures: [String] = []
        for model in ["fork", "threads", "events", "serial"] {
            let server = try ServerProcess([
                "server", "http", "--root", site.root.path, "--port", "0", "--model", model,
            ])
            defer { server.stop() }
            let report = try probe(port: server.port, site: site)
            let expected: Set<String> = model == "serial" ? ["concurrency.idle-client", "concurrency.parallel"] : []
            let skipped = report.results.filter { $0.status == .skipped }.map(\.id)
            if Set(report.failedIDs) != expected || !skipped.isEmpty {
                failures.append("\(model): failed \(report.failedIDs), skipped \(skipped)\n" + describe(report))
            }
            if model == "serial" && !report.model.hasPrefix("serial") {
                failures.append("serial: model \(report.model)")
            }
            if model != "serial" && !report.model.hasPrefix("concurrent") {
                failures.append("\(model): model \(report.model)")
            }
            print(
                "probe netlab \(model): \(report.passed)/\(report.passed + report.failed) passed; model: \(report.model)"
            )
        }
        XCTAssert(failures.isEmpty, failures.joined(separator: "\n"))
    }
}
