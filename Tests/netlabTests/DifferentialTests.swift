import Capture
import Foundation
import XCTest

/// netlab against the installed tcpdump itself, on corpus captures whose packets were cut short
/// and bit-flipped (seeded): the truncation and malformed-input paths, where a hand-written
/// decoder most often drifts from tcpdump. Skipped, with the reason, when tcpdump is missing.
final class DifferentialTests: XCTestCase {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

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

    func runTcpdump(_ path: String, _ file: String, verbose: Bool) throws -> String {
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
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-diff-\(getpid())")
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
                let expected = try runTcpdump(tcpdump, target, verbose: verbose)
                let result = try Harness.run(["sniff", "-r", target] + (verbose ? ["-v"] : []))
                XCTAssertEqual(result.status, 0, "\(target): \(result.stderr)")
                LineComparison.compare(
                    expected: expected, actual: result.stdout, file: "seed \(seed) \(source.lastPathComponent)",
                    into: &tally)
            }
        }
        let ratio = LineComparison.report(tally, mode: "mutated captures vs installed tcpdump")
        XCTAssertGreaterThanOrEqual(ratio, 0.99)
        XCTAssertGreaterThan(tally.lines, 1500)
    }
}
