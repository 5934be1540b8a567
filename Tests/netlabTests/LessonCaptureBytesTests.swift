import Foundation
import Inspect
import Labs
import XCTest

/// The bytes the content checks judge (echo, framing, delivery) are each connection's
/// reassembled directions; they must be the bytes tshark's `follow,tcp,raw` gives for every
/// connection of every lesson capture, bundled and failure-mode alike.
final class LessonCaptureBytesTests: XCTestCase {
    /// tshark's follow output for streams 0..<count in one run: per stream, the bytes Node 0
    /// sent and the bytes Node 1 sent (its lines are indented).
    static func follow(_ tshark: String, _ path: String, streams count: Int) throws -> [Int: [String: [UInt8]]] {
        let options = (0..<count).flatMap { ["-z", "follow,tcp,raw,\($0)"] }
        let text = try TCPAnalysisTestsPaths.run(tshark, ["-n", "-r", path, "-q"] + options)
        var result: [Int: [String: [UInt8]]] = [:]
        var stream = -1, nodes: [String] = [], bytes: [[UInt8]] = [[], []]
        func close() {
            if stream >= 0, nodes.count == 2 { result[stream] = [nodes[0]: bytes[0], nodes[1]: bytes[1]] }
        }
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Filter: tcp.stream eq ") {
                close()
                stream = Int(line.dropFirst(22)) ?? -1
                nodes = []
                bytes = [[], []]
            } else if line.hasPrefix("Node 0: ") || line.hasPrefix("Node 1: ") {
                nodes.append(String(line.dropFirst(8)))
            } else if nodes.count == 2, !line.hasPrefix("="), let data = hex(line.trimmingCharacters(in: .whitespaces))
            {
                bytes[line.hasPrefix("\t") ? 1 : 0] += data
            }
        }
        close()
        return result
    }

    static func hex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }

    func testReassembledBytesAreTsharksFollow() throws {
        guard let tshark = TCPAnalysisTestsPaths.tshark else {
            throw XCTSkip("SKIPPED: tshark is not installed (scripts/setup.sh installs it)")
        }
        let directory = Harness.root.appendingPathComponent("captures")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("lesson-") && $0.hasSuffix(".pcap") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 20, "a bundled and a failure-mode capture per lesson")
        var directions = 0, bytes = 0
        for name in names {
            let path = directory.appendingPathComponent(name).path
            let facts = try CaptureFacts.read(path)
            let followed = try Self.follow(tshark, path, streams: facts.connections.count)
            for connection in facts.connections {
                let theirs = followed[connection.stream] ?? [:]
                XCTAssertEqual(
                    Set(theirs.keys), [connection.client, connection.server], "\(name) stream \(connection.stream)")
                for (role, endpoint) in [(TCPRole.client, connection.client), (.server, connection.server)] {
                    let mine = connection.bytes[role] ?? []
                    XCTAssertEqual(
                        mine, theirs[endpoint] ?? [],
                        "\(name) stream \(connection.stream) \(role.rawValue): \(mine.count) bytes, tshark \(theirs[endpoint]?.count ?? 0)"
                    )
                    directions += 1
                    bytes += mine.count
                }
            }
        }
        print(
            "\nREASSEMBLED BYTES: \(names.count) captures, \(directions) directions, \(bytes) bytes, all equal to tshark's follow"
        )
    }

    /// Datagrams (ports, payload sizes) and the port each ICMP error quotes, against tshark's
    /// reading of the same frames (it decodes the quoted UDP header inside the ICMP error).
    func testDatagramsAndQuotedPortsAreTsharks() throws {
        guard let tshark = TCPAnalysisTestsPaths.tshark else {
            throw XCTSkip("SKIPPED: tshark is not installed (scripts/setup.sh installs it)")
        }
        var datagrams = 0, errors = 0
        for name in [
            "lesson-07-udp.pcap", "lesson-07-no-receiver.pcap", "lesson-10-loss.pcap", "lesson-10-no-loss.pcap",
        ] {
            let path = Harness.root.appendingPathComponent("captures/" + name).path
            let facts = try CaptureFacts.read(path)
            let fields = [
                "-e", "frame.number", "-e", "icmp.type", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.length",
            ]
            let rows = try TCPAnalysisTestsPaths.run(tshark, ["-n", "-r", path, "-Y", "udp", "-T", "fields"] + fields)
                .split(separator: "\n").map {
                    $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                }
            let plain = rows.filter { $0.count == 5 && $0[1].isEmpty }
            let quoted = rows.filter { $0.count == 5 && $0[1] == "3" }
            XCTAssertEqual(facts.datagrams.map(\.frame), plain.map { Int($0[0])! }, name)
            XCTAssertEqual(facts.datagrams.map(\.sourcePort), plain.map { UInt16($0[2])! }, name)
            XCTAssertEqual(facts.datagrams.map(\.destinationPort), plain.map { UInt16($0[3])! }, name)
            XCTAssertEqual(facts.datagrams.map(\.payload.count), plain.map { Int($0[4])! - 8 }, name)
            XCTAssertEqual(facts.unreachablePorts, quoted.map { UInt16($0[3]) }, name)
            datagrams += plain.count
            errors += quoted.count
        }
        XCTAssertGreaterThan(errors, 0)
        print("\nDATAGRAMS: \(datagrams) datagrams and \(errors) ICMP errors, all as tshark reads them")
    }

    /// Every ICMP error cut short at every length: never a trap, and the quoted port is the
    /// whole frame's or nil (never a wrong one).
    func testCutICMPErrorsNeverTrap() throws {
        let source = Harness.root.appendingPathComponent("captures/lesson-07-udp.pcap")
        let pcap = try CaptureMutationTests.Pcap(Data(contentsOf: source))
        let whole = try CaptureFacts.read(source.path).unreachablePorts
        let port = try XCTUnwrap(whole.first ?? nil)
        let index = try XCTUnwrap(pcap.records.indices.last)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-icmp-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let record = [UInt8](pcap.records[index])
        var cut = 0
        for length in 0..<(record.count - 16) {
            // Captured length cut to `length`; the original length stays, as a snapshot length would.
            var shorter = Array(record.prefix(16 + length))
            for byte in 0..<4 { shorter[8 + byte] = UInt8(truncatingIfNeeded: length >> (8 * byte)) }
            var data = pcap.header
            for (i, other) in pcap.records.enumerated() { data.append(i == index ? Data(shorter) : other) }
            let file = directory.appendingPathComponent("cut-\(length).pcap")
            try data.write(to: file)
            let ports = try CaptureFacts.read(file.path).unreachablePorts
            XCTAssertTrue(ports.allSatisfy { $0 == nil || $0 == port }, "cut at \(length): \(ports)")
            if ports.isEmpty || ports == [nil] { cut += 1 }
        }
        XCTAssertGreaterThan(cut, 0)
    }
}
