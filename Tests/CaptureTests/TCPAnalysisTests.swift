import Capture
import Foundation
import XCTest

@testable import Inspect

/// TCP tracking against tshark's `tcp.analysis.*` flags, on every TCP capture in the corpus and
/// on synthetic captures made to contain each kind (retransmission, out-of-order, duplicate
/// ACKs, fast retransmission, zero window, keep-alive, window full, lost segment).
final class TCPAnalysisTests: XCTestCase {
    static let kinds: [(TCPAnalysisFlags, String)] = [
        (.retransmission, "retransmission"), (.fastRetransmission, "fast_retransmission"),
        (.spuriousRetransmission, "spurious_retransmission"), (.outOfOrder, "out_of_order"),
        (.duplicateAck, "duplicate_ack"), (.zeroWindow, "zero_window"), (.windowFull, "window_full"),
        (.keepAlive, "keep_alive"), (.lostSegment, "lost_segment"),
    ]

    static func tshark() -> String? {
        ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// netlab's flagged frame numbers per kind, for one capture.
    static func netlabFlags(_ path: String) throws -> [String: Set<Int>] {
        let handle = try CaptureHandle.file(path)
        let linkType = LinkType(rawValue: handle.linkType)
        var tracker = TCPTracker()
        var frame = 0
        var result: [String: Set<Int>] = [:]
        _ = try handle.forEach { packet in
            frame += 1
            guard let segment = TCPSegment.parse(ByteView(packet.bytes), linkType: linkType) else { return true }
            let time = Double(packet.seconds) + Double(packet.fraction) / 1_000_000
            let observation = tracker.process(segment, frame: frame, time: time, wireLength: packet.wireLength)
            for (flag, name) in kinds where observation.flags.contains(flag) { result[name, default: []].insert(frame) }
            return true
        }
        return result
    }

    /// tshark's flagged frames per kind (one tshark run for all kinds).
    static func tsharkFlags(_ tshark: String, _ path: String) throws -> [String: Set<Int>] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        var arguments = ["-n", "-r", path, "-Y", "tcp.analysis.flags", "-T", "fields", "-e", "frame.number"]
        for (_, name) in kinds { arguments += ["-e", "tcp.analysis.\(name)"] }
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var result: [String: Set<Int>] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard let frame = Int(columns[0]) else { continue }
            for (index, (_, name)) in kinds.enumerated() where columns.count > index + 1 && !columns[index + 1].isEmpty
            {
                result[name, default: []].insert(frame)
            }
        }
        return result
    }

    struct Agreement {
        var both = 0, onlyNetlab = 0, onlyTshark = 0
        var details: [String] = []
    }

    func compare(_ files: [String], tshark: String) throws -> [String: Agreement] {
        var agreement: [String: Agreement] = [:]
        for file in files {
            let mine = try Self.netlabFlags(file), theirs = try Self.tsharkFlags(tshark, file)
            for (_, name) in Self.kinds {
                let a = mine[name] ?? [], b = theirs[name] ?? []
                var entry = agreement[name] ?? Agreement()
                entry.both += a.intersection(b).count
                entry.onlyNetlab += a.subtracting(b).count
                entry.onlyTshark += b.subtracting(a).count
                if a != b {
                    entry.details.append(
                        "\((file as NSString).lastPathComponent): netlab \(a.sorted()) tshark \(b.sorted())")
                }
                agreement[name] = entry
            }
        }
        return agreement
    }

    func report(_ agreement: [String: Agreement], title: String) -> Bool {
        var text = "\nTCP ANALYSIS vs tshark (\(title)), frames flagged by both / only netlab / only tshark:\n"
        var ok = true
        for (_, name) in Self.kinds {
            let entry = agreement[name] ?? Agreement()
            let total = entry.both + entry.onlyNetlab + entry.onlyTshark
            let ratio = total == 0 ? 1.0 : Double(entry.both) / Double(total)
            if ratio < 0.98 { ok = false }
            let label = name.padding(toLength: 24, withPad: " ", startingAt: 0)
            text += "  \(label) \(entry.both) / \(entry.onlyNetlab) / \(entry.onlyTshark)"
            text += String(format: "  agreement %.1f%%\n", ratio * 100)
            for detail in entry.details.prefix(5) { text += "      \(detail)\n" }
        }
        print(text)
        return ok
    }

    func testCorpusCapturesMatchTshark() throws {
        guard let tshark = Self.tshark() else {
            throw XCTSkip("SKIPPED: tshark is not installed (scripts/setup.sh installs it)")
        }
        let corpus = RobustnessTests.corpus
        guard FileManager.default.fileExists(atPath: corpus.path) else {
            throw XCTSkip("SKIPPED: no corpus at \(corpus.path)")
        }
        var files: [String] = []
        for folder in ["tcpdump/pcaps", "loopback"] {
            let directory = corpus.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
                files.append(directory.appendingPathComponent(name).path)
            }
        }
        XCTAssertTrue(report(try compare(files, tshark: tshark), title: "corpus"), "agreement below 98% for a kind")
    }
}

/// Builds small captures of one TCP connection from a script of segments.
struct SyntheticConnection {
    var packets: [(time: Double, bytes: [UInt8])] = []
    var time = 1_700_000_000.0
    let client: [UInt8] = [10, 0, 0, 1], server: [UInt8] = [10, 0, 0, 2]
    let clientPort: UInt16 = 40000, serverPort: UInt16 = 80
    var clientISN: UInt32 = 1000, serverISN: UInt32 = 5000

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xFFFF)) }

    /// Adds a segment `after` seconds after the previous one. `seq`/`ack` are relative to the ISNs.
    mutating func add(
        fromClient: Bool, after: Double, seq: UInt32, ack: UInt32, flags: UInt8, window: UInt16 = 512,
        length: Int = 0, options: [UInt8] = []
    ) {
        time += after
        let ownISN = fromClient ? clientISN : serverISN, peerISN = fromClient ? serverISN : clientISN
        let tcpLength = 20 + options.count
        var tcp =
            Self.be16(fromClient ? clientPort : serverPort) + Self.be16(fromClient ? serverPort : clientPort)
            + Self.be32(ownISN &+ seq) + Self.be32(flags & 0x10 != 0 ? peerISN &+ ack : 0)
        tcp += [UInt8(tcpLength / 4) << 4, flags] + Self.be16(window) + [0, 0, 0, 0] + options
        tcp += [UInt8](repeating: 0x61, count: length)
        let total = 20 + tcp.count
        var ip: [UInt8] = [0x45, 0] + Self.be16(UInt16(total)) + [0, 1, 0x40, 0, 64, 6, 0, 0]
        ip += fromClient ? client + server : server + client
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        packets.append((time, ethernet + ip + tcp))
    }

    func write(to path: String) throws {
        let writer = try CaptureWriter(path: path, linkType: 1)
        for packet in packets {
            packet.bytes.withUnsafeBytes { raw in
                let seconds = Int64(packet.time)
                writer.write(
                    CapturedPacket(
                        seconds: seconds, fraction: Int(((packet.time - Double(seconds)) * 1_000_000).rounded()),
                        captureLength: raw.count, wireLength: raw.count, bytes: raw))
            }
        }
        writer.flush()
    }
}

extension TCPAnalysisTests {
    /// Scenarios that make tshark raise each analysis flag at least once.
    static func scenarios() -> [String: SyntheticConnection] {
        let syn: UInt8 = 0x02, ack: UInt8 = 0x10, psh: UInt8 = 0x18, fin: UInt8 = 0x11
        let wscale: [UInt8] = [2, 4, 5, 0xB4, 1, 3, 3, 2]  // mss 1460, nop, wscale 2
        func handshake(_ c: inout SyntheticConnection) {
            c.add(fromClient: true, after: 0, seq: 0, ack: 0, flags: syn, window: 64000, options: wscale)
            c.add(fromClient: false, after: 0.010, seq: 0, ack: 1, flags: syn | ack, window: 64000, options: wscale)
            c.add(fromClient: true, after: 0.010, seq: 1, ack: 1, flags: ack)
        }
        var result: [String: SyntheticConnection] = [:]

        var losses = SyntheticConnection()
        handshake(&losses)
        losses.add(fromClient: true, after: 0.001, seq: 1, ack: 1, flags: psh, length: 100)
        losses.add(fromClient: false, after: 0.010, seq: 1, ack: 101, flags: ack)
        losses.add(fromClient: true, after: 0.001, seq: 201, ack: 1, flags: psh, length: 100)  // lost 101..200
        losses.add(fromClient: false, after: 0.001, seq: 1, ack: 101, flags: ack)  // dup ack
        losses.add(fromClient: false, after: 0.001, seq: 1, ack: 101, flags: ack)  // dup ack
        losses.add(fromClient: true, after: 0.002, seq: 101, ack: 1, flags: psh, length: 100)  // fast retransmission
        losses.add(fromClient: false, after: 0.010, seq: 1, ack: 301, flags: ack)
        // A spurious retransmission: 201..300 was already acknowledged.
        losses.add(fromClient: true, after: 0.300, seq: 201, ack: 1, flags: psh, length: 100)
        losses.add(fromClient: true, after: 0.001, seq: 401, ack: 1, flags: psh, length: 100)  // lost 301..400
        losses.add(fromClient: true, after: 0.001, seq: 301, ack: 1, flags: psh, length: 100)  // out of order
        losses.add(fromClient: true, after: 0.500, seq: 301, ack: 1, flags: psh, length: 100)  // retransmission
        losses.add(fromClient: false, after: 0.010, seq: 1, ack: 501, flags: ack)
        losses.add(fromClient: true, after: 0.010, seq: 501, ack: 1, flags: fin)
        losses.add(fromClient: false, after: 0.010, seq: 1, ack: 502, flags: fin)
        losses.add(fromClient: true, after: 0.010, seq: 502, ack: 2, flags: ack)
        result["losses"] = losses

        var windows = SyntheticConnection()
        handshake(&windows)
        // A window update: 50 << 2 = 200 bytes.
        windows.add(fromClient: false, after: 0.001, seq: 1, ack: 1, flags: ack, window: 50)
        windows.add(fromClient: true, after: 0.001, seq: 1, ack: 1, flags: psh, length: 200)  // window full
        windows.add(fromClient: false, after: 0.010, seq: 1, ack: 201, flags: ack, window: 0)  // zero window
        windows.add(fromClient: true, after: 0.200, seq: 201, ack: 1, flags: psh, length: 1)  // zero window probe
        windows.add(fromClient: false, after: 0.010, seq: 1, ack: 201, flags: ack, window: 0)
        windows.add(fromClient: false, after: 0.100, seq: 1, ack: 201, flags: ack, window: 100)
        windows.add(fromClient: true, after: 5.000, seq: 200, ack: 1, flags: ack)  // keep-alive
        windows.add(fromClient: false, after: 0.010, seq: 1, ack: 201, flags: ack, window: 100)  // keep-alive ack
        windows.add(fromClient: true, after: 5.000, seq: 200, ack: 1, flags: ack, length: 1)  // keep-alive with a byte
        result["windows"] = windows
        return result
    }

    func testSyntheticScenariosMatchTshark() throws {
        guard let tshark = Self.tshark() else {
            throw XCTSkip("SKIPPED: tshark is not installed (scripts/setup.sh installs it)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-tcp-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [String] = []
        for (name, scenario) in Self.scenarios().sorted(by: { $0.key < $1.key }) {
            let path = directory.appendingPathComponent("\(name).pcap").path
            try scenario.write(to: path)
            files.append(path)
        }
        let agreement = try compare(files, tshark: tshark)
        XCTAssertTrue(report(agreement, title: "synthetic scenarios"), "agreement below 98% for a kind")
        // The scenarios must exercise the flags, or agreement means nothing.
        for kind in [
            "retransmission", "fast_retransmission", "out_of_order", "duplicate_ack", "zero_window", "keep_alive",
            "lost_segment",
        ] {
            XCTAssertGreaterThan(agreement[kind]?.both ?? 0, 0, "no \(kind) in the synthetic captures")
        }
    }
}
