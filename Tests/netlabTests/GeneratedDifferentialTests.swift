import Foundation
import XCTest

/// Generative differential testing against the installed tcpdump: `scripts/gen-packets.py`
/// writes seeded, structure-aware captures (every link type netlab decodes, 802.3/LLC, ARP,
/// IPv4 options, IPv6 extension chains, TCP options, UDP and ICMP/ICMPv6 variants, cut snap
/// lengths, odd timestamps; pcap µs, pcap ns and pcapng), and every record of `tcpdump -nn`
/// and `tcpdump -nn -v` must equal netlab's, except the reviewed known differences below.
///
/// Longer run: `NETLAB_PACKETS=200000 NETLAB_SEED=7 swift test --skip-build --filter GeneratedDifferentialTests`.
final class GeneratedDifferentialTests: XCTestCase {
    static func python() -> String? {
        if let path = ProcessInfo.processInfo.environment["NETLAB_TEST_PYTHON"],
            FileManager.default.isExecutableFile(atPath: path)
        {
            return path
        }
        return ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct ClassTally {
        var packets = 0, lines = 0, matched = 0, known = 0
    }

    func testGeneratedPacketsMatchTcpdump() throws {
        guard let tcpdump = DifferentialTests.tcpdumpPath() else {
            throw XCTSkip("SKIPPED: tcpdump is not installed (scripts/setup.sh installs it for the tests)")
        }
        guard let python = Self.python() else {
            throw XCTSkip("SKIPPED: no python3 to run scripts/gen-packets.py (set NETLAB_TEST_PYTHON)")
        }
        let environment = ProcessInfo.processInfo.environment
        let packets = Int(environment["NETLAB_PACKETS"] ?? "") ?? 20_000
        let seed = Int(environment["NETLAB_SEED"] ?? "") ?? 1
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-gen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = Harness.root.appendingPathComponent("scripts/gen-packets.py").path
        let (status, _, err) = try Harness.runProcess(
            URL(fileURLWithPath: python),
            [script, "--seed", "\(seed)", "--packets", "\(packets)", "--out", directory.path], timeout: 600)
        XCTAssertEqual(status, 0, String(decoding: err, as: UTF8.self))

        let result = try Self.compare(directory: directory, tcpdump: tcpdump)
        print("\nGENERATED vs installed tcpdump (seed \(seed), " + result.text)
        XCTAssertGreaterThanOrEqual(result.packets, packets, "the generator wrote fewer packets than asked")
        XCTAssertEqual(
            result.unexplained, 0, "lines differ from tcpdump with no reviewed explanation (listed above)")
    }

    /// Runs netlab and tcpdump (-nn, then -nn -v) on every capture of a generator's directory
    /// (manifest.tsv: file, packet index from 1, classes) and tallies the records per class.
    static func compare(
        directory: URL, tcpdump: String
    ) throws -> (text: String, packets: Int, unexplained: Int) {
        // manifest.tsv: file, packet index (from 1), classes separated by spaces.
        var classes: [String: [[String]]] = [:]
        let manifest = try String(contentsOf: directory.appendingPathComponent("manifest.tsv"), encoding: .utf8)
        for row in manifest.split(separator: "\n") {
            let columns = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count == 3 else { continue }
            classes[columns[0], default: []].append(columns[2].split(separator: " ").map(String.init))
        }
        var perClass: [String: ClassTally] = [:]
        var modes: [String: (lines: Int, matched: Int, known: Int)] = [:]
        var knownSeen: [String: Int] = [:]
        var unexplained: [String] = []
        var unexplainedCount = 0
        var totalPackets = 0
        for file in classes.keys.sorted() {
            let path = directory.appendingPathComponent(file).path
            let packetClasses = classes[file]!
            totalPackets += packetClasses.count
            for (index, names) in packetClasses.enumerated() where index >= 0 {
                for name in names { perClass[name, default: ClassTally()].packets += 1 }
            }
            for verbose in [false, true] {
                let mode = verbose ? "-nn -v" : "-nn"
                let expected = try DifferentialTests.runTcpdump(tcpdump, path, verbose: verbose)
                let result = try Harness.run(["sniff", "-r", path] + (verbose ? ["-v"] : []), timeout: 300)
                XCTAssertEqual(result.status, 0, "\(file): \(result.stderr)")
                let want = ScopeClassifier.records(expected)
                let got = ScopeClassifier.records(result.stdout)
                XCTAssertEqual(
                    want.count, packetClasses.count, "\(file) \(mode): tcpdump printed an unexpected record count")
                for (index, record) in want.enumerated() {
                    let names = index < packetClasses.count ? packetClasses[index] : ["?"]
                    let mine = index < got.count ? got[index].lines : []
                    let differs = record.lines.enumerated().contains {
                        $0.offset >= mine.count || mine[$0.offset] != $0.element
                    }
                    let known = differs ? KnownDifferences.explain(tcpdump: record.lines, netlab: mine) : nil
                    var tally = modes[mode] ?? (0, 0, 0)
                    for (lineIndex, line) in record.lines.enumerated() {
                        let other = lineIndex < mine.count ? mine[lineIndex] : "<missing>"
                        tally.lines += 1
                        for name in names { perClass[name, default: ClassTally()].lines += 1 }
                        if other == line {
                            tally.matched += 1
                            for name in names { perClass[name, default: ClassTally()].matched += 1 }
                        } else if let known {
                            tally.known += 1
                            knownSeen[known.name, default: 0] += 1
                            for name in names { perClass[name, default: ClassTally()].known += 1 }
                        } else {
                            unexplainedCount += 1
                            if unexplained.count < 60 {
                                unexplained.append(
                                    "\(file) \(mode) packet \(index + 1) [\(names.joined(separator: " "))]:\n"
                                        + "    tcpdump: \(line)\n    netlab:  \(other)")
                            }
                        }
                    }
                    modes[mode] = tally
                }
            }
        }
        var text = "\(totalPackets) packets in \(classes.count) files)\n"
        for (mode, tally) in modes.sorted(by: { $0.key < $1.key }) {
            text += "  \(mode): \(tally.matched)/\(tally.lines) lines identical, \(tally.known) known differences, "
            text += "\(tally.lines - tally.matched - tally.known) unexplained\n"
        }
        text += "  per class (packets: identical/lines, known):\n"
        for (name, tally) in perClass.sorted(by: { $0.key < $1.key }) {
            text +=
                "    \(name): \(tally.packets) packets, \(tally.matched)/\(tally.lines) lines, \(tally.known) known\n"
        }
        text += "  known differences seen:\n"
        for (name, count) in knownSeen.sorted(by: { $0.key < $1.key }) {
            let reason = KnownDifferences.entries.first { $0.name == name }?.reason ?? ""
            text += "    \(name): \(count) lines (\(reason))\n"
        }
        for line in unexplained { text += "  UNEXPLAINED \(line)\n" }
        return (text, totalPackets, unexplainedCount)
    }
}
