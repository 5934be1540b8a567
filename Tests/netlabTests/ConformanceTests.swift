import Foundation
import XCTest

/// `netlab sniff -r` against tcpdump 4.99.3's own output on the shared corpus (-nn and -nn -v).
final class ConformanceTests: XCTestCase {
    func runCorpus(verbose: Bool) throws -> LineComparison.Tally {
        let corpus = try Harness.requireCorpus()
        var tally = LineComparison.Tally()
        let suffix = verbose ? "v" : "nn"
        // tcpdump's regression captures, listed in index.tsv.
        let index = try String(contentsOf: corpus.appendingPathComponent("tcpdump/index.tsv"), encoding: .utf8)
        var cases: [(String, URL, URL)] = []
        for row in index.split(separator: "\n").dropFirst() {
            let columns = row.split(separator: "\t").map(String.init)
            guard columns.count >= 2 else { continue }
            cases.append(
                (
                    columns[0], corpus.appendingPathComponent("tcpdump/pcaps/\(columns[1])"),
                    corpus.appendingPathComponent("tcpdump/expected/\(columns[0]).\(suffix).txt")
                ))
        }
        // Captures of real programs on lo.
        let loopback = corpus.appendingPathComponent("loopback")
        for name in try FileManager.default.contentsOfDirectory(atPath: loopback.path).sorted()
        where name.hasSuffix(".pcap") {
            let base = String(name.dropLast(5))
            cases.append(
                (
                    "loopback/" + base, loopback.appendingPathComponent(name),
                    loopback.appendingPathComponent("expected/\(base).\(suffix).txt")
                ))
        }
        XCTAssertGreaterThan(cases.count, 70, "the corpus lists fewer captures than expected")
        for (name, pcap, reference) in cases {
            let expected = try String(contentsOf: reference, encoding: .utf8)
            var arguments = ["sniff", "-r", pcap.path]
            if verbose { arguments.append("-v") }
            let result = try Harness.run(arguments)
            XCTAssertEqual(result.status, 0, "\(name): netlab exited \(result.status): \(result.stderr)")
            LineComparison.compare(expected: expected, actual: result.stdout, file: name, into: &tally)
        }
        return tally
    }

    func testMatchesTcpdumpNN() throws {
        let tally = try runCorpus(verbose: false)
        let ratio = LineComparison.report(tally, mode: "tcpdump 4.99.3 -nn (corpus references)")
        // Exact: every in-scope line; what is out of scope is listed by class in the report.
        XCTAssertEqual(ratio, 1.0, "an in-scope line differs from tcpdump (MISMATCH lines above)")
        XCTAssertEqual(tally.matchedLines, tally.lines)
        XCTAssertGreaterThan(tally.lines, 800, "too few in-scope lines: the classifier or the corpus changed")
    }

    func testMatchesTcpdumpVerbose() throws {
        let tally = try runCorpus(verbose: true)
        let ratio = LineComparison.report(tally, mode: "tcpdump 4.99.3 -nn -v (corpus references)")
        XCTAssertEqual(ratio, 1.0, "an in-scope line differs from tcpdump (MISMATCH lines above)")
        XCTAssertEqual(tally.matchedLines, tally.lines)
        XCTAssertGreaterThan(tally.lines, 1500, "too few in-scope lines: the classifier or the corpus changed")
    }
}
