import Capture
import Foundation
import TestSupport
import XCTest

@testable import Inspect

/// Every corpus capture, cut at random offsets and with random bit flips (seeded), decodes
/// without a trap and without a hang, and every packet still ends its line.
final class RobustnessTests: XCTestCase {
    struct Packet {
        var bytes: [UInt8]
        var wireLength: Int
        var linkType: LinkType
    }

    /// SplitMix64: a small seeded generator, so a failure can be replayed exactly.

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus")

    func loadCorpus() throws -> [Packet] {
        guard FileManager.default.fileExists(atPath: Self.corpus.path) else {
            throw XCTSkip("SKIPPED: the shared corpus is not at \(Self.corpus.path)")
        }
        var files: [URL] = []
        for folder in ["tcpdump/pcaps", "loopback"] {
            let directory = Self.corpus.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
                files.append(directory.appendingPathComponent(name))
            }
        }
        var packets: [Packet] = []
        for file in files {
            let handle = try CaptureHandle.file(file.path)
            let linkType = LinkType(rawValue: handle.linkType)
            _ = try handle.forEach { packet in
                packets.append(Packet(bytes: Array(packet.bytes), wireLength: packet.wireLength, linkType: linkType))
                return true
            }
        }
        XCTAssertGreaterThan(packets.count, 1500, "corpus smaller than expected")
        return packets
    }

    func decode(_ packets: [Packet], verbosity: Int) -> Int {
        var printer = TcpdumpPrinter(verbosity: verbosity)
        var out = TextBuffer(capacity: 1 << 20)
        var lines = 0
        for packet in packets {
            let before = out.count
            packet.bytes.withUnsafeBytes { raw in
                printer.print(
                    ByteView(raw), wireLength: packet.wireLength, linkType: packet.linkType, seconds: 0,
                    microseconds: 0, into: &out)
            }
            XCTAssertGreaterThan(out.count, before)
            XCTAssertEqual(out.last, 0x0A, "a record did not end its line")
            lines += 1
            if out.count > 1 << 19 { out.removeAll() }
        }
        return lines
    }

    func testTruncatedAndBitFlippedCorpusDecodes() throws {
        let packets = try loadCorpus()
        let started = Date()
        var decoded = 0
        for seed: UInt64 in 1...64 {
            var generator = SeededGenerator(state: seed)
            let mutated = packets.map { packet -> Packet in
                var copy = packet
                guard !copy.bytes.isEmpty else { return copy }
                if Bool.random(using: &generator) {
                    copy.bytes = Array(copy.bytes.prefix(Int.random(in: 0..<copy.bytes.count, using: &generator)))
                }
                for _ in 0..<Int.random(in: 0...4, using: &generator) where !copy.bytes.isEmpty {
                    let index = Int.random(in: 0..<copy.bytes.count, using: &generator)
                    copy.bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                }
                return copy
            }
            decoded += decode(mutated, verbosity: Int(seed % 2))
        }
        let seconds = Date().timeIntervalSince(started)
        print("ROBUSTNESS: \(decoded) mutated packets (64 seeds) decoded in \(String(format: "%.1f", seconds)) s")
        XCTAssertLessThan(seconds, 120, "decoding mutated packets took too long: a loop may not be bounded")
    }

    func testRandomBytesOnEveryLinkType() {
        var generator = SeededGenerator(state: 42)
        let linkTypes: [LinkType] = [
            .null, .ethernet, .raw, .loop, .linuxSLL, .linuxSLL2, .ipv4, .ipv6, .ipnet, .ipOverInfiniBand,
            .broadcomTagPrepend,
        ]
        var packets: [Packet] = []
        for linkType in linkTypes {
            for _ in 0..<2000 {
                var bytes = (0..<Int.random(in: 0..<120, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                // Make most packets look like IPv4/IPv6 so the deeper layers are reached.
                if bytes.count > 20, Bool.random(using: &generator) {
                    bytes[0] = Bool.random(using: &generator) ? 0x45 : 0x60
                }
                packets.append(
                    Packet(
                        bytes: bytes, wireLength: bytes.count + Int.random(in: 0..<3, using: &generator),
                        linkType: linkType))
            }
        }
        XCTAssertEqual(decode(packets, verbosity: 1), packets.count)
    }
}
