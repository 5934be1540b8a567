import Foundation
import Labs
import Sockets
import TestSupport
import XCTest

/// `netlab server echo --rcvbuf --read-delay` (lesson 18): a slow reader still echoes every
/// byte, takes as long as its reads say, and, seen on the wire (root), closes its window and
/// gets probed; the same server without the flags never does.
final class EchoFlowControlTests: XCTestCase {
    /// Sends `count` seeded bytes and half-closes, then reads the echo to its end; the bytes back
    /// and the seconds it took.
    func echo(port: UInt16, count: Int, seed: UInt64) throws -> (sent: [UInt8], back: [UInt8], seconds: Double) {
        var random = SeededGenerator(state: seed)
        let sent = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
        let socket = try Socket.connect(host: "127.0.0.1", port: port, timeout: 2)
        let started = Date()
        // The echo waits in this socket's receive buffer (far larger than `count`) meanwhile.
        try socket.sendAll(sent)
        socket.shutdownWrite()
        var back: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date() + 30
        while Date() < deadline {
            guard try socket.wait(for: .readable, timeout: 1) else { continue }
            let got = try socket.receive(into: &buffer)
            if got == 0 { break }
            back += buffer[..<got]
        }
        return (sent, back, Date().timeIntervalSince(started))
    }

    func testSlowReaderEchoesEverythingAtTheSpeedOfItsReads() throws {
        let slow = try ServerProcess(["server", "echo", "--port", "0", "--rcvbuf", "4096", "--read-delay", "0.25"])
        defer { slow.stop() }
        let fast = try ServerProcess(["server", "echo", "--port", "0"])
        defer { fast.stop() }
        var report: [String] = []
        for (index, count) in [20_000, 50_000].enumerated() {
            let seed = UInt64(0x18_00 + index)
            let (sent, back, seconds) = try echo(port: slow.port, count: count, seed: seed)
            XCTAssertEqual(back, sent, "the slow reader echoes every byte, in order")
            // Each read takes at most what the small buffer holds (Linux: twice --rcvbuf, part of
            // it bookkeeping), and each waits 0.25 s first: at least count / 8192 reads.
            let reads = Double((count + 8191) / 8192)
            XCTAssertGreaterThanOrEqual(seconds, 0.25 * reads * 0.9, "\(count) bytes through the slow reader")
            let quick = try echo(port: fast.port, count: count, seed: seed)
            XCTAssertEqual(quick.back, quick.sent)
            XCTAssertLessThan(quick.seconds, seconds)
            report.append(
                "\(count) bytes: slow reader \(String(format: "%.2f", seconds)) s, fast \(String(format: "%.3f", quick.seconds)) s"
            )
        }
        print("\nECHO FLOW CONTROL: " + report.joined(separator: "; "))
    }

    func testBadFlagsAreUsageErrors() throws {
        for arguments in [
            ["--read-delay", "-1"], ["--read-delay", "61"], ["--rcvbuf", "0"], ["--udp", "--rcvbuf", "4096"],
            ["--udp", "--read-delay", "1"],
        ] {
            let result = try Harness.run(["server", "echo", "--port", "0"] + arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
        }
    }

    /// As root, on the wire: the slow reader advertises a zero window and the client's kernel
    /// probes it; the fast one never closes its window. Read by the same facts the lesson checks.
    func testZeroWindowAndProbesOnTheWire() throws {
        guard geteuid() == 0 else {
            throw XCTSkip("SKIPPED: capturing on lo needs root (CI runs this as root)")
        }
        var counts: [String] = []
        for (name, flags) in [("slow", ["--rcvbuf", "4096", "--read-delay", "1"]), ("fast", [])] {
            let server = try ServerProcess(["server", "echo", "--port", "0"] + flags)
            defer { server.stop() }
            let capture = try BackgroundCapture.start(filter: "tcp port \(server.port)")
            let (sent, back, _) = try echo(port: server.port, count: 20_000, seed: 0x1818)
            let frames = capture.stop(settle: 0.3)
            XCTAssertEqual(back, sent)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-zw-\(UUID()).pcap").path
            defer { try? FileManager.default.removeItem(atPath: file) }
            try capture.save(frames, to: file)
            let facts = try CaptureFacts.read(file)
            let connection = try XCTUnwrap(facts.connections.first)
            let zero = connection.dynamics.zeroWindows[.server] ?? 0
            let probes = connection.dynamics.windowProbes[.client] ?? 0
            let answers = connection.dynamics.probeAnswers[.server] ?? 0
            counts.append("\(name): \(zero) zero windows, \(probes) probes, \(answers) answered")
            if name == "slow" {
                XCTAssertGreaterThan(zero, 0, "the slow reader's window closes")
                XCTAssertGreaterThan(probes, 0, "the sender probes the closed window")
                XCTAssertGreaterThan(answers, 0, "the receiver answers the probes")
            } else {
                XCTAssertEqual(zero + probes, 0, "a reader that keeps up never closes its window")
            }
        }
        print("\nZERO WINDOW ON THE WIRE: " + counts.joined(separator: "; "))
    }
}
