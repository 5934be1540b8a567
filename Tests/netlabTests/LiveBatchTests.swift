import Capture
import Foundation
import Sockets
import TestSupport
import XCTest

/// Batched live capture with the real binary: a burst is captured whole (no kernel drops), a
/// lone packet still shows within the block timeout when stdout is a pipe, SIGTERM stops it
/// promptly, and -B is validated. The capture parts need root or CAP_NET_RAW (CI runs as
/// root) and are skipped with the reason otherwise; the -B checks run for everyone.
final class LiveBatchTests: XCTestCase {

    /// A UDP socket bound to an ephemeral loopback port: datagrams to it draw no ICMP replies.
    func boundReceiver() throws -> Socket {
        let receiver = try Socket(.udp, family: .inet)
        try receiver.bind(SocketAddress(numeric: "127.0.0.1", port: 0)!)
        return receiver
    }

    /// Starts `netlab sniff` with `arguments`, waits for "listening on", returns the process and its output.
    func startSniff(_ arguments: [String]) throws -> (Process, LineCollector, LineCollector) {
        let process = Process()
        process.executableURL = try Harness.netlab
        process.arguments = ["sniff"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "UTC"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let lines = LineCollector(), errors = LineCollector()
        lines.attach(out)
        errors.attach(err)
        try process.run()
        guard errors.wait(until: Date() + 10, { $0.contains { $0.1.hasPrefix("listening on lo") } }) else {
            process.terminate()
            throw HarnessError("netlab sniff did not start: \(errors.snapshot.map(\.1))")
        }
        return (process, lines, errors)
    }

    /// The number before `label` in the closing summary (e.g. "12 packets captured").
    func summaryCount(_ errors: LineCollector, _ label: String) -> Int? {
        for (_, line) in errors.snapshot where line.hasSuffix(label) {
            return Int(line.split(separator: " ").first ?? "")
        }
        return nil
    }

    /// Waits for the process to end by itself until `deadline`, then stops it with SIGTERM.
    func finish(_ process: Process, by deadline: Date) {
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// A seeded burst of datagrams of random sizes, sent as fast as the socket takes them,
    /// while `sniff -w` records them: every one captured, in order and whole, and the kernel
    /// dropped none. (Immediate mode with libpcap's default 2 MiB ring dropped most of such
    /// bursts.) NETLAB_LIVE_BURST=N sends N datagrams instead of 20,000.
    func testBurstIsCapturedWholeWithoutKernelDrops() throws {
        try Harness.requireLiveCapture()
        let count = Int(ProcessInfo.processInfo.environment["NETLAB_LIVE_BURST"] ?? "") ?? 20_000
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-burst-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("burst.pcap").path
        let receiver = try boundReceiver()
        let port = receiver.localPort
        let (process, _, errors) = try startSniff(["-w", file, "-c", "\(count)", "lo", "udp", "dst", "port", "\(port)"])
        defer { if process.isRunning { process.terminate() } }

        var random = SeededGenerator(state: 0x5EED_B425)
        let sizes = (0..<count).map { _ in Int.random(in: 8...1400, using: &random) }
        let sender = try Socket(.udp, family: .inet)
        let destination = SocketAddress(numeric: "127.0.0.1", port: port)!
        let started = Date()
        for (index, size) in sizes.enumerated() {
            var payload = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
            withUnsafeBytes(of: UInt64(index).bigEndian) { payload.replaceSubrange(0..<8, with: $0) }
            try sender.send(payload, to: destination)
        }
        let sendSeconds = Date().timeIntervalSince(started)
        // -c ends the capture once every datagram is in; a shortfall ends it by SIGTERM.
        finish(process, by: Date() + 15)
        // The summary is written as sniff exits: read the pipe to its end before looking.
        errors.waitForEnd()
        XCTAssertEqual(process.terminationStatus, 0, errors.snapshot.map(\.1).joined(separator: "\n"))
        let summary = errors.snapshot.map(\.1).joined(separator: "\n")
        XCTAssertEqual(summaryCount(errors, "dropped by kernel"), 0, summary)
        XCTAssertEqual(summaryCount(errors, "captured"), count, summary)
        XCTAssertFalse(summary.contains("the kernel dropped"), summary)
        // On lo the kernel counts each packet twice (libpcap drops the outgoing copy), so
        // "received by filter" is at least what was captured.
        XCTAssertGreaterThanOrEqual(summaryCount(errors, "received by filter") ?? 0, count, summary)

        // The file holds every datagram, in order, with its size.
        let handle = try CaptureHandle.file(file)
        var seen = 0, mismatches: [String] = []
        _ = try handle.forEach { packet in
            // Ethernet (14) + IPv4 (20) + UDP (8), then the datagram's index.
            let index =
                packet.bytes.count >= 50
                ? Int(packet.bytes.loadUnaligned(fromByteOffset: 42, as: UInt64.self).bigEndian) : -1
            if index != seen || packet.wireLength != 42 + sizes[min(max(index, 0), count - 1)] {
                if mismatches.count < 10 {
                    mismatches.append("packet \(seen): index \(index), length \(packet.wireLength)")
                }
            }
            seen += 1
            return true
        }
        XCTAssertEqual(seen, count)
        XCTAssertEqual(mismatches, [])
        print("burst: \(count) datagrams sent in \(String(format: "%.2f", sendSeconds)) s, \(seen) captured, 0 dropped")
    }

    /// stdout is a pipe, so sniff runs batched; a lone packet on an idle lo must still show
    /// within 1 s (the kernel hands over a partly filled block after 100 ms). Then SIGTERM
    /// stops it within 1 s with the summary.
    func testLonePacketShowsWithinOneSecondWhenBatched() throws {
        try Harness.requireLiveCapture()
        let receiver = try boundReceiver()
        let port = receiver.localPort
        let (process, lines, errors) = try startSniff(["lo", "udp", "dst", "port", "\(port)"])
        defer { if process.isRunning { process.terminate() } }
        let sender = try Socket(.udp, family: .inet)
        let destination = SocketAddress(numeric: "127.0.0.1", port: port)!
        var delays: [Double] = []
        for round in 1...3 {
            Thread.sleep(forTimeInterval: 0.3)  // idle: nothing else in the kernel's block
            let sent = Date()
            try sender.send(Array("ping \(round)".utf8), to: destination)
            let shown = lines.wait(until: sent + 1.0) { $0.count >= round }
            let snapshot = lines.snapshot
            XCTAssertTrue(shown, "datagram \(round) not shown within 1 s; lines: \(snapshot.map(\.1))")
            guard shown else { break }
            delays.append(snapshot[round - 1].0.timeIntervalSince(sent))
            XCTAssertTrue(snapshot[round - 1].1.hasSuffix("> 127.0.0.1.\(port): UDP, length \(5 + "\(round)".count)"))
        }
        let stopping = Date()
        process.terminate()
        process.waitUntilExit()
        let stopSeconds = Date().timeIntervalSince(stopping)
        XCTAssertLessThan(stopSeconds, 1.0)
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertTrue(
            errors.wait(until: Date() + 2) { $0.contains { $0.1 == "3 packets captured" } },
            "summary: \(errors.snapshot.map(\.1))")
        print(
            "batched delays: \(delays.map { String(format: "%.0f ms", $0 * 1000) }), stop \(String(format: "%.0f ms", stopSeconds * 1000))"
        )
    }

    /// SIGTERM right after a few packets: they are still in the kernel's open block, which is
    /// handed over only when its 100 ms timeout expires. sniff waits for it before stopping,
    /// so the stop loses nothing and still comes well within a second.
    func testStopRequestKeepsThePacketsOfTheOpenBlock() throws {
        try Harness.requireLiveCapture()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-stop-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("stop.pcap").path
        let receiver = try boundReceiver()
        let port = receiver.localPort
        let (process, _, errors) = try startSniff(["-w", file, "lo", "udp", "dst", "port", "\(port)"])
        defer { if process.isRunning { process.terminate() } }
        var random = SeededGenerator(state: 0x570B)
        let count = Int.random(in: 20...60, using: &random)
        let sender = try Socket(.udp, family: .inet)
        let destination = SocketAddress(numeric: "127.0.0.1", port: port)!
        for index in 0..<count { try sender.send(Array("datagram \(index)".utf8), to: destination) }
        let stopping = Date()
        process.terminate()
        process.waitUntilExit()
        let stopSeconds = Date().timeIntervalSince(stopping)
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertLessThan(stopSeconds, 1.0)
        XCTAssertTrue(
            errors.wait(until: Date() + 2) { $0.contains { $0.1 == "\(count) packets captured" } },
            "sent \(count); summary: \(errors.snapshot.map(\.1))")
        var inFile = 0
        _ = try CaptureHandle.file(file).forEach { _ in
            inFile += 1
            return true
        }
        XCTAssertEqual(inFile, count)
    }

    /// SIGINT at a seeded random moment around the one when -c is reached (the last packets
    /// come with the block timeout): whether it stops the capture or comes while sniff closes
    /// its capture and exits, sniff ends normally with status 0. (With the default action
    /// restored after the loop, 5 of 30 such runs were killed by the signal.)
    func testStopRequestAsTheCountIsReachedEndsNormally() throws {
        try Harness.requireLiveCapture()
        let receiver = try boundReceiver()
        let port = receiver.localPort
        let sender = try Socket(.udp, family: .inet)
        let destination = SocketAddress(numeric: "127.0.0.1", port: port)!
        var random = SeededGenerator(state: 0x51_61A7)
        var outcomes: [String] = []
        for round in 0..<20 {
            let (process, _, errors) = try startSniff([
                "-c", "5", "-w", "/dev/null", "lo", "udp", "dst", "port", "\(port)",
            ])
            defer { if process.isRunning { process.terminate() } }
            for index in 0..<5 { try sender.send(Array("round \(round) datagram \(index)".utf8), to: destination) }
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.15, using: &random))
            process.interrupt()
            finish(process, by: Date() + 5)
            if process.terminationReason != .exit || process.terminationStatus != 0 {
                outcomes.append(
                    "round \(round): \(process.terminationReason == .exit ? "exit" : "signal") "
                        + "\(process.terminationStatus); \(errors.snapshot.map(\.1))")
            }
        }
        XCTAssertEqual(outcomes, [])
    }

    /// -B takes KiB from 4 to 2097151 and only for live capture; anything else is a usage
    /// error (64) naming -B, before any capture opens (so this runs without root too).
    func testBufferSizeValidation() throws {
        var random = SeededGenerator(state: 0xB0FF)
        var values = ["0", "-1", "3", "2097152", "4294967296", "9999999999999999999999", "x", "1k", "1.5", ""]
        for _ in 0..<10 { values.append(String(Int.random(in: Int(Int32.min)...3, using: &random))) }
        for _ in 0..<10 { values.append(String(Int.random(in: 2_097_152...Int(Int64.max), using: &random))) }
        for value in values {
            let result = try Harness.run(["sniff", "-B", value, "-c", "1", "lo"], timeout: 20)
            XCTAssertEqual(result.status, 64, "-B \(value): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("-B"), "-B \(value): \(result.stderr)")
        }
        let tooSmall = try Harness.run(["sniff", "-B", "3", "lo"])
        XCTAssertTrue(
            tooSmall.stderr.contains("-B takes the capture buffer size in KiB, from 4 to 2097151"), tooSmall.stderr)
        for arguments in [["-B", "1024"], ["--immediate"]] {
            let capture = Harness.root.appendingPathComponent("captures/http-get.pcap").path
            let result = try Harness.run(["sniff", "-r", capture] + arguments)
            XCTAssertEqual(result.status, 64, result.stderr)
            XCTAssertTrue(result.stderr.contains("-B and --immediate tune live capture"), result.stderr)
        }
    }
}
