import Capture
import Foundation
import TestSupport
import XCTest

/// netlab against the installed tcpdump itself, on corpus captures whose packets were cut short
/// and bit-flipped (seeded): the truncation and malformed-input paths, where a hand-written
/// decoder most often drifts from tcpdump. Skipped, with the reason, when tcpdump is missing.
final class DifferentialTests: XCTestCase {

    static func tcpdumpPath() -> String? {
        ["/usr/bin/tcpdump", "/usr/sbin/tcpdump", "/usr/local/bin/tcpdump", "/usr/local/sbin/tcpdump"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Writes a mutated copy of `source` with libpcap: each packet cut, bit-flipped, or kept.
    func mutate(_ source: URL, into target: String, seed: UInt64) throws {
        let handle = try CaptureHandle.file(source.path)
        let writer = try CaptureWriter(path: target, linkType: handle.linkType)
        var generator = SeededGenerator(state: seed)
        _ = try handle.forEach { packet in
            var bytes = Array(packet.bytes)
            let roll = Int.random(in: 0..<10, using: &generator)
            if roll < 4, !bytes.isEmpty {
                bytes = Array(bytes.prefix(Int.random(in: 1...bytes.count, using: &generator)))
            } else if roll < 8, !bytes.isEmpty {
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^=
                        1 << UInt8.random(in: 0..<8, using: &generator)
                }
            }
            bytes.withUnsafeBytes { raw in
                writer.write(
                    CapturedPacket(
                        seconds: packet.seconds, fraction: packet.fraction, captureLength: raw.count,
                        wireLength: max(packet.wireLength, raw.count), bytes: raw))
            }
            return true
        }
        writer.flush()
    }

    static func runTcpdump(_ path: String, _ file: String, verbose: Bool) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-nn"] + (verbose ? ["-v"] : []) + ["-r", file]
        process.environment = ["TZ": "UTC", "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    func testMutatedCapturesMatchTcpdump() throws {
        guard let tcpdump = Self.tcpdumpPath() else {
            throw XCTSkip("SKIPPED: tcpdump is not installed (scripts/setup.sh installs it for the tests)")
        }
        let corpus = try Harness.requireCorpus()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-diff-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var sources: [URL] = []
        for folder in ["tcpdump/pcaps", "loopback"] {
            let path = corpus.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: path.path).sorted()
            where name.hasSuffix(".pcap") {
                sources.append(path.appendingPathComponent(name))
            }
        }
        var tally = LineComparison.Tally()
        for seed: UInt64 in 1...3 {
            for (index, source) in sources.enumerated() {
                let target = directory.appendingPathComponent("\(seed)-\(source.lastPathComponent)").path
                try mutate(source, into: target, seed: seed &* 1000 &+ UInt64(index))
                let verbose = seed == 2
                let expected = try Self.runTcpdump(tcpdump, target, verbose: verbose)
                let result = try Harness.run(["sniff", "-r", target] + (verbose ? ["-v"] : []))
                XCTAssertEqual(result.status, 0, "\(target): \(result.stderr)")
                LineComparison.compare(
                    expected: expected, actual: result.stdout, file: "seed \(seed) \(source.lastPathComponent)",
                    into: &tally)
            }
        }
        let ratio = LineComparison.report(tally, mode: "mutated captures vs installed tcpdump")
        XCTAssertEqual(ratio, 1.0, "an in-scope line differs from tcpdump (MISMATCH lines above)")
        XCTAssertGreaterThan(tally.lines, 1500)
    }
}

/// The same IP packets under every link-layer header netlab decodes (the corpus has no
/// LINUX_SLL2 or LOOP captures), compared with the installed tcpdump.
final class LinkTypeDifferentialTests: XCTestCase {
    /// Builds the link header for one IP packet (`isIPv6` picks the family/EtherType).
    static let encapsulations: [(name: String, dlt: Int32, header: @Sendable (Bool, Int) -> [UInt8])] = [
        ("NULL", 0, { ipv6, _ in ipv6 ? [24, 0, 0, 0] : [2, 0, 0, 0] }),  // host order (little-endian writer)
        ("NULL-swapped", 0, { ipv6, _ in ipv6 ? [0, 0, 0, 30] : [0, 0, 0, 2] }),
        ("LOOP", 108, { ipv6, _ in ipv6 ? [0, 0, 0, 24] : [0, 0, 0, 2] }),
        ("RAW", 12, { _, _ in [] }),
        ("IPV4-IPV6", -1, { _, _ in [] }),
        (
            "LINUX_SLL", 113,
            { ipv6, index in
                [0, UInt8(index % 5), 0, 1, 0, 6, 0x02, 0x42, 0xAC, 0x11, 0, 2, 0, 0]
                    + (ipv6 ? [0x86, 0xDD] : [0x08, 0x00])
            }
        ),
        (
            "LINUX_SLL2", 276,
            { ipv6, index in
                (ipv6 ? [0x86, 0xDD] : [0x08, 0x00]) + [0, 0, 0, 0, 0, 1, 0, 1, UInt8(index % 5), 6]
                    + [0x02, 0x42, 0xAC, 0x11, 0, 2, 0, 0]
            }
        ),
        (
            "EN10MB+VLAN", 1,
            { ipv6, _ in
                [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0x00, 0x64] + (ipv6 ? [0x86, 0xDD] : [0x08, 0x00])
            }
        ),
    ]

    func testEveryLinkTypeMatchesTcpdump() throws {
        guard let tcpdump = DifferentialTests.tcpdumpPath() else {
            throw XCTSkip("SKIPPED: tcpdump is not installed (scripts/setup.sh installs it for the tests)")
        }
        let corpus = try Harness.requireCorpus()
        // IP packets from the loopback captures (Ethernet: strip the 14-byte header).
        var packets: [(Int64, Int, [UInt8])] = []
        let loopback = corpus.appendingPathComponent("loopback")
        for name in try FileManager.default.contentsOfDirectory(atPath: loopback.path).sorted()
        where name.hasSuffix(".pcap") {
            let handle = try CaptureHandle.file(loopback.appendingPathComponent(name).path)
            XCTAssertEqual(handle.linkType, 1)
            _ = try handle.forEach { packet in
                packets.append((packet.seconds, packet.fraction, Array(packet.bytes.dropFirst(14))))
                return true
            }
        }
        XCTAssertGreaterThan(packets.count, 50)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-links-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var tally = LineComparison.Tally()
        for (name, dlt, header) in Self.encapsulations {
            for family in [4, 6] {
                let selected = packets.filter { ($0.2.first ?? 0) >> 4 == family }
                guard !selected.isEmpty else { continue }
                let linkType: Int32 = dlt >= 0 ? dlt : (family == 4 ? 228 : 229)
                let path = directory.appendingPathComponent("\(name)-\(family).pcap").path
                do {
                    let writer = try CaptureWriter(path: path, linkType: linkType)
                    for (index, packet) in selected.enumerated() {
                        let frame = header(family == 6, index) + packet.2
                        frame.withUnsafeBytes { raw in
                            writer.write(
                                CapturedPacket(
                                    seconds: packet.0, fraction: packet.1, captureLength: raw.count,
                                    wireLength: raw.count, bytes: raw))
                        }
                    }
                    writer.flush()
                }
                for verbose in [false, true] {
                    let expected = try DifferentialTests.runTcpdump(tcpdump, path, verbose: verbose)
                    let result = try Harness.run(["sniff", "-r", path] + (verbose ? ["-v"] : []))
                    XCTAssertEqual(result.status, 0, result.stderr)
                    LineComparison.compare(
                        expected: expected, actual: result.stdout, file: "\(name) IPv\(family)", into: &tally)
                }
            }
        }
        let ratio = LineComparison.report(tally, mode: "every link type vs installed tcpdump")
        XCTAssertEqual(ratio, 1.0, "a link type decodes differently from tcpdump")
        XCTAssertGreaterThan(tally.lines, 1000)
    }
}
