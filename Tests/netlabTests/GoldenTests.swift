import Foundation
import XCTest

/// The golden captures in Tests/Golden (tcpdump's tests/ style: a capture, then tcpdump 4.99.3's
/// `-nn` and `-nn -v` output beside it, written by scripts/make-golden.sh): netlab must print
/// every record the same, apart from the reviewed known differences. Needs nothing outside the
/// repository, so a bare clone still tests decoding.
final class GoldenTests: XCTestCase {
    func testGoldenCapturesMatchTheirTcpdumpOutput() throws {
        let golden = Harness.root.appendingPathComponent("Tests/Golden")
        let captures = try FileManager.default.contentsOfDirectory(atPath: golden.path).sorted()
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }
        XCTAssertGreaterThanOrEqual(captures.count, 10, "Tests/Golden lost its captures")
        var records = 0, lines = 0, identical = 0, known = 0
        var unexplained: [String] = []
        for capture in captures {
            for (suffix, arguments) in [("nn", [String]()), ("v", ["-v"])] {
                let path = golden.appendingPathComponent(capture).path
                let expected = try String(contentsOfFile: path + ".\(suffix).txt", encoding: .utf8)
                let result = try Harness.run(["sniff", "-r", path] + arguments)
                XCTAssertEqual(result.status, 0, "\(capture): \(result.stderr)")
                let want = ScopeClassifier.records(expected), got = ScopeClassifier.records(result.stdout)
                XCTAssertEqual(got.count, want.count, "\(capture) \(suffix): record count")
                for (index, record) in want.enumerated() {
                    records += 1
                    let mine = index < got.count ? got[index].lines : []
                    lines += record.lines.count
                    if mine == record.lines {
                        identical += record.lines.count
                    } else if KnownDifferences.explain(tcpdump: record.lines, netlab: mine) != nil {
                        known += record.lines.count
                    } else {
                        unexplained.append(
                            "\(capture).\(suffix).txt record \(index + 1):\n  tcpdump: "
                                + record.lines.joined(separator: "\n           ") + "\n  netlab:  "
                                + mine.joined(separator: "\n           "))
                    }
                }
            }
        }
        print(
            "\nGOLDEN \(captures.count) captures, \(records) records: \(identical)/\(lines) lines identical, "
                + "\(known) in known differences, \(unexplained.count) records unexplained")
        for text in unexplained.prefix(20) { print("  UNEXPLAINED \(text)") }
        XCTAssertEqual(unexplained, [], "records differ from tcpdump's golden output (listed above)")
        XCTAssertGreaterThan(records, 700)
    }
}
