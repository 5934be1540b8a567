import Capture
import Foundation
import XCTest

@testable import Inspect

/// A packet that `sniff` decodes as TCP is the same segment for Flow (stats, follow, ladder,
/// lessons), and the other way round: over the generated captures (every link type, extension
/// chains, cut and broken headers), the tcpdump line and `TCPSegment.parse` must agree on
/// whether a frame is a TCP segment and on its ports and flags.
final class OneReadingTests: XCTestCase {
    func testPrinterAndFlowSeeTheSameSegments() throws {
        guard let python = GeneratedDifferentialTests.python() else {
            throw XCTSkip("SKIPPED: no python3 to run scripts/gen-packets.py (set NETLAB_TEST_PYTHON)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-one-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = Harness.root.appendingPathComponent("scripts/gen-packets.py").path
        let (status, _, err) = try Harness.runProcess(
            URL(fileURLWithPath: python), [script, "--seed", "5", "--packets", "8000", "--out", directory.path],
            timeout: 120)
        XCTAssertEqual(status, 0, String(decoding: err, as: UTF8.self))
        var frames = 0, segments = 0, printedTCP = 0
        var reasons: [String: Int] = [:]
        var violations: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
            let handle = try CaptureHandle.file(directory.appendingPathComponent(name).path)
            let linkType = LinkType(rawValue: handle.linkType)
            var printer = TcpdumpPrinter()
            _ = try handle.forEach { packet in
                frames += 1
                let bytes = ByteView(packet.bytes)
                var out = TextBuffer(capacity: 512)
                printer.print(
                    bytes, wireLength: packet.wireLength, linkType: linkType, seconds: packet.seconds,
                    microseconds: packet.fraction, into: &out)
                let line = out.string
                let segment = TCPSegment.parse(bytes, linkType: linkType, wireLength: packet.wireLength)
                let printed = line.contains(": Flags [")
                if printed { printedTCP += 1 }
                if let segment, line.contains("IP bad-len 0") {
                    // Flow reads a total length of 0 as a segmentation-offload packet (tshark does).
                    reasons["Flow only: IPv4 total length 0 (offload, as tshark)", default: 0] += 1
                    segments += 1
                } else if let segment {
                    segments += 1
                    let flags = line.range(of: "Flags [").map { line[$0.upperBound...].prefix { $0 != "]" } } ?? ""
                    var expected = TextBuffer(capacity: 16)
                    printer.appendFlags(TCPHeader.Flags(rawValue: segment.flags), into: &expected)
                    if !printed || !line.contains("\(segment.sourcePort) > ")
                        || !line.contains(".\(segment.destinationPort): Flags [")
                            && !line.contains(" \(segment.destinationPort): Flags [")
                        || String(flags) != expected.string
                    {
                        violations.append(
                            "\(name) frame \(frames): Flow has \(segment.sourceEndpoint) > \(segment.destinationEndpoint) flags \(expected.string); tcpdump line: \(line)"
                        )
                    }
                } else if printed {
                    // Why Flow may leave out a segment tcpdump prints: each reason is tcpdump's own mark.
                    let reason: String? =
                        IPPacket.decode(bytes, linkType: linkType, wireLength: packet.wireLength)?.isFragment == true
                        ? "a fragment alone (Flow reassembles the datagram first)"
                        : line.contains("[|tcp]") || line.contains("[remaining caplen")
                            ? "TCP header not captured"
                            : line.contains("bad hdr length")
                                ? "bad header length"
                                : nil
                    if let reason {
                        reasons[reason, default: 0] += 1
                    } else {
                        violations.append("\(name) frame \(frames): tcpdump prints TCP, Flow has none: \(line)")
                    }
                }
                return true
            }
        }
        print(
            "\nONE READING: \(frames) frames, \(printedTCP) printed as TCP, \(segments) TCP segments for Flow; "
                + "left out of Flow: \(reasons.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")); "
                + "\(violations.count) disagreements")
        for violation in violations.prefix(20) { print("  DISAGREE \(violation)") }
        XCTAssertEqual(violations, [])
        XCTAssertGreaterThan(segments, 2000)
    }
}
