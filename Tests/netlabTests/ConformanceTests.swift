import Foundation
import XCTest

/// `netlab sniff -r` against tcpdump 4.99.3's own output on the shared corpus (-nn and -nn -v).
final class ConformanceTests: XCTestCase {
    struct Tally {
        var records = 0, lines = 0, matchedLines = 0
        var outOfScope: [String: Int] = [:]
        var mismatches: [String] = []
    }

    /// Compares one capture's output with a reference, record by record.
    func compare(expected: String, actual: String, file: String, into tally: inout Tally) {
        let want = ScopeClassifier.records(expected)
        let got = ScopeClassifier.records(actual)
        for (index, record) in want.enumerated() {
            if let name = ScopeClassifier.outOfScopeClass(record) {
                tally.outOfScope[name, default: 0] += 1
                continue
            }
            tally.records += 1
            let mine = index < got.count ? got[index].lines : []
            for (lineIndex, line) in record.lines.enumerated() {
                tally.lines += 1
                if lineIndex < mine.count && mine[lineIndex] == line {
                    tally.matchedLines += 1
                } else if tally.mismatches.count < 40 {
                    tally.mismatches.append(
                        "\(file) record \(index + 1):\n  tcpdump: \(line)\n  netlab:  \(lineIndex < mine.count ? mine[lineIndex] : "<missing>")"
                    )
                }
            }
        }
    }

    func runCorpus(verbose: Bool) throws -> Tally {
        let corpus = try Harness.requireCorpus()
        var tally = Tally()
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
            compare(expected: expected, actual: result.stdout, file: name, into: &tally)
        }
        return tally
    }

    func report(_ tally: Tally, mode: String) -> Double {
        let ratio = tally.lines == 0 ? 0 : Double(tally.matchedLines) / Double(tally.lines)
        var text =
            "\nCONFORMANCE \(mode): \(tally.matchedLines)/\(tally.lines) in-scope lines identical to tcpdump 4.99.3 "
        text += String(format: "(%.2f%%), %d in-scope packets\n", ratio * 100, tally.records)
        let skipped = tally.outOfScope.values.reduce(0, +)
        text += "  out of scope (application decoders netlab does not have): \(skipped) packets: "
        text += tally.outOfScope.sorted { $0.value > $1.value }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        text += "\n"
        for mismatch in tally.mismatches { text += "  MISMATCH \(mismatch)\n" }
        print(text)
        return ratio
    }

    func testMatchesTcpdumpNN() throws {
        let tally = try runCorpus(verbose: false)
        let ratio = report(tally, mode: "tcpdump -nn")
        XCTAssertGreaterThanOrEqual(ratio, 0.99, "in-scope line match below 99%")
        XCTAssertGreaterThan(tally.lines, 800, "too few in-scope lines: the classifier or the corpus changed")
    }

    func testMatchesTcpdumpVerbose() throws {
        let tally = try runCorpus(verbose: true)
        let ratio = report(tally, mode: "tcpdump -nn -v")
        XCTAssertGreaterThanOrEqual(ratio, 0.99, "in-scope line match below 99%")
        XCTAssertGreaterThan(tally.lines, 1500, "too few in-scope lines: the classifier or the corpus changed")
    }
}
