import Capture
import Foundation
import Inspect
import Labs
import TestSupport
import XCTest

/// The facts lessons 18–20 grade (MSS, segment sizes, zero windows, window probes,
/// retransmissions), read through the whole pipeline (pcap → analyzer → `ConnectionDynamics`) from
/// generated connections whose truth the generator knows, and compared with tshark on every
/// bundled capture.
final class ConnectionDynamicsTests: XCTestCase {
    static var cases: Int { ProcessInfo.processInfo.environment["NETLAB_LONG_TESTS"] == nil ? 2_000 : 50_000 }

    /// One generated connection: what was put in it, counted by the generator as it wrote.
    struct Truth: Equatable, CustomStringConvertible {
        var mss: [TCPRole: UInt16] = [:]
        var clientSegments = 0, largest = 0, clientBytes = 0
        var zeroWindows = 0, probes = 0, answers = 0, retransmissions = 0
        var description: String {
            "mss \(mss), \(clientSegments) segments (largest \(largest), \(clientBytes) bytes), "
                + "\(zeroWindows) zero windows, \(probes) probes, \(answers) answered, \(retransmissions) retransmitted"
        }
    }

    /// A client sends data to a server that acknowledges it; at random the server's buffer is
    /// full (it ACKs with window 0), the client probes as Linux does (an empty segment one below
    /// the next sequence number, some answered with window 0 again), then a window update; at
    /// random the client sends an old segment again long after (a retransmission).
    static func generate(_ random: inout SeededGenerator) -> (Frames, Truth) {
        var frames = Frames()
        var truth = Truth()
        let sizes: [UInt16] = [536, 1220, 1460, 8960, 65495]
        let clientMSS = sizes.randomElement(using: &random)!, serverMSS = sizes.randomElement(using: &random)!
        truth.mss = [.client: clientMSS, .server: serverMSS]
        frames.add(fromClient: true, after: 0, seq: 0, ack: 0, flags: 0x02, options: Frames.mss(clientMSS))
        frames.add(fromClient: false, after: 0.04, seq: 0, ack: 1, flags: 0x12, options: Frames.mss(serverMSS))
        frames.add(fromClient: true, after: 0.04, seq: 1, ack: 1, flags: 0x10)
        var next: UInt32 = 1
        var sent: [(seq: UInt32, length: Int)] = []
        for _ in 0..<Int.random(in: 1...30, using: &random) {
            // Mostly small (the files stay small); now and then a full MSS (at most 9,000
            // bytes), or, on a small MSS, a segment larger than it (what offload shows).
            var length = Int.random(in: 1...Int(min(serverMSS, 1460)), using: &random)
            switch Int.random(in: 0..<20, using: &random) {
            case 0: length = Int(min(serverMSS, 9000))
            case 1 where serverMSS <= 1460: length = Int(serverMSS) + Int.random(in: 1...100, using: &random)
            default: break
            }
            frames.add(fromClient: true, after: 0.001, seq: next, ack: 1, flags: 0x18, length: length)
            sent.append((next, length))
            next &+= UInt32(length)
            truth.clientSegments += 1
            truth.largest = max(truth.largest, length)
            truth.clientBytes += length
            if Bool.random(using: &random) {
                let closed = Int.random(in: 0...5, using: &random) == 0
                frames.add(fromClient: false, after: 0.04, seq: 1, ack: next, flags: 0x10, window: closed ? 0 : 4096)
                if closed {
                    truth.zeroWindows += 1
                    // A probe is answered by the receiver's next segment, which tells its window:
                    // still 0, or (the window update below) open again.
                    var unanswered = false
                    for probe in 0..<Int.random(in: 0...3, using: &random) {
                        frames.add(
                            fromClient: true, after: 0.2 * Double(1 << probe), seq: next &- 1, ack: 1, flags: 0x10)
                        truth.probes += 1
                        unanswered = true
                        guard Bool.random(using: &random) else { continue }
                        frames.add(fromClient: false, after: 0.04, seq: 1, ack: next, flags: 0x10, window: 0)
                        truth.answers += 1
                        truth.zeroWindows += 1
                        unanswered = false
                    }
                    frames.add(fromClient: false, after: 0.1, seq: 1, ack: next, flags: 0x10, window: 4096)
                    if unanswered { truth.answers += 1 }
                }
            }
            // A resent last segment of one byte sits where a keep-alive does (seq = next − 1,
            // length ≤ 1): Wireshark, and so netlab, calls it a keep-alive. Not generated.
            if Int.random(in: 0...9, using: &random) == 0, let old = sent.randomElement(using: &random),
                !(old.length == 1 && old.seq &+ 1 == next)
            {
                frames.add(fromClient: true, after: 1, seq: old.seq, ack: 1, flags: 0x18, length: old.length)
                truth.clientSegments += 1
                truth.clientBytes += old.length
                truth.retransmissions += 1
            }
        }
        return (frames, truth)
    }

    func found(_ connection: CaptureFacts.Connection) -> Truth {
        let dynamics = connection.dynamics
        return Truth(
            mss: dynamics.mss, clientSegments: dynamics.dataSegments[.client] ?? 0,
            largest: dynamics.largestSegment[.client] ?? 0, clientBytes: dynamics.payloadBytes[.client] ?? 0,
            zeroWindows: dynamics.zeroWindows[.server] ?? 0, probes: dynamics.windowProbes[.client] ?? 0,
            answers: dynamics.probeAnswers[.server] ?? 0, retransmissions: dynamics.retransmissions[.client] ?? 0)
    }

    func testGeneratedConnectionsGiveTheirTruthAndTheirVerdicts() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-dynamics-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SeededGenerator(state: 0x1820)
        var disagreements: [String] = []
        var tally = (zero: 0, probed: 0, retransmitted: 0)
        let zero = Expectation(line: "expect zero-window: x")!, probe = Expectation(line: "expect window-probe: x")!
        let retransmitted = Expectation(line: "expect retransmissions 1: x")!
        let mss = Expectation(line: "expect mss 1460: x")!,
            sizes = Expectation(line: "expect segments-within-mss 5: x")!
        for index in 0..<Self.cases {
            let (frames, truth) = Self.generate(&random)
            let path = directory.appendingPathComponent("c\(index % 8).pcap").path
            try frames.write(to: path)
            let facts = try CaptureFacts.read(path)
            guard let connection = facts.connections.first, facts.connections.count == 1 else {
                disagreements.append("case \(index): \(facts.connections.count) connections")
                continue
            }
            let seen = found(connection)
            if seen != truth { disagreements.append("case \(index): made \(truth)\n  read \(seen)") }
            // Each verdict follows from the truth alone.
            let verdicts = [
                (zero, truth.zeroWindows > 0), (probe, truth.answers > 0), (retransmitted, truth.retransmissions > 0),
                (mss, truth.mss.values.contains(1460)),
                (sizes, truth.clientSegments >= 5 && truth.largest <= Int(truth.mss[.server]!)),
            ]
            for (expectation, expected) in verdicts {
                let verdict = expectation.evaluate(facts)
                if verdict.passed != expected {
                    disagreements.append(
                        "case \(index): \(expectation.kind.rawValue) \(verdict.passed): \(verdict.found)")
                }
            }
            tally.zero += truth.zeroWindows > 0 ? 1 : 0
            tally.probed += truth.answers > 0 ? 1 : 0
            tally.retransmitted += truth.retransmissions > 0 ? 1 : 0
        }
        print(
            "\nTCP DYNAMICS: \(Self.cases) generated connections, \(tally.zero) with a zero window, \(tally.probed) "
                + "with an answered probe, \(tally.retransmitted) with retransmissions; \(disagreements.count) disagreements"
        )
        XCTAssertEqual(disagreements, [], disagreements.prefix(5).joined(separator: "\n"))
        // The generator reaches every case the checks tell apart.
        XCTAssertGreaterThan(tally.zero, Self.cases / 10)
        XCTAssertGreaterThan(tally.probed, Self.cases / 10)
        XCTAssertGreaterThan(tally.retransmitted, Self.cases / 10)
    }

    /// Per direction of every connection in every bundled capture: MSS, data segments, largest
    /// segment, zero windows, retransmissions, fast retransmissions and duplicate ACKs, against
    /// tshark's fields (tcp.options.mss_val, tcp.len, tcp.analysis.*).
    func testBundledCapturesAgreeWithTshark() throws {
        guard let tshark = TCPAnalysisTestsPaths.tshark else {
            throw XCTSkip("SKIPPED: tshark is not installed (scripts/setup.sh installs it)")
        }
        // The bundled captures, and the corpus's loopback captures of other programs (nginx,
        // Python) when the corpus is beside the repository.
        var paths: [String] = []
        for directory in [
            Harness.root.appendingPathComponent("captures"), Harness.corpus.appendingPathComponent("loopback"),
        ] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            paths += names.filter { $0.hasSuffix(".pcap") }.sorted().map { directory.path + "/" + $0 }
        }
        XCTAssertGreaterThanOrEqual(paths.count, 20)
        var compared = 0
        var disagreements: [String] = []
        for path in paths {
            let name = (path as NSString).lastPathComponent
            let facts = try CaptureFacts.read(path)
            var mine: [String: [Int]] = [:]
            for connection in facts.connections {
                let ports = [TCPRole.client: Self.port(connection.client), .server: Self.port(connection.server)]
                for role in TCPRole.allSides {
                    let dynamics = connection.dynamics
                    let key = "\(ports[role]!)>\(ports[role.other]!)"
                    let row = [
                        Int(dynamics.mss[role] ?? 0), dynamics.dataSegments[role] ?? 0,
                        dynamics.largestSegment[role] ?? 0, dynamics.zeroWindows[role] ?? 0,
                        dynamics.retransmissions[role] ?? 0, dynamics.fastRetransmissions[role] ?? 0,
                        dynamics.duplicateAcks[role] ?? 0,
                    ]
                    mine[key] = zip(mine[key] ?? Array(repeating: 0, count: row.count), row).enumerated().map {
                        $0.offset == 0 || $0.offset == 2 ? max($0.element.0, $0.element.1) : $0.element.0 + $0.element.1
                    }
                }
            }
            let fields = [
                "tcp.srcport", "tcp.dstport", "tcp.options.mss_val", "tcp.len", "tcp.analysis.zero_window",
                "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
                "tcp.analysis.spurious_retransmission", "tcp.analysis.duplicate_ack",
            ]
            let output = try TCPAnalysisTestsPaths.run(
                tshark,
                ["-n", "-r", path, "-Y", "tcp", "-T", "fields", "-E", "occurrence=f"] + fields.flatMap { ["-e", $0] })
            var theirs: [String: [Int]] = [:]
            for line in output.split(separator: "\n") {
                let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard cells.count == fields.count else { continue }
                let key = "\(cells[0])>\(cells[1])"
                var row = theirs[key] ?? Array(repeating: 0, count: 7)
                let length = Int(cells[3]) ?? 0
                row[0] = max(row[0], Int(cells[2]) ?? 0)
                if length > 0 {
                    row[1] += 1
                    row[2] = max(row[2], length)
                }
                if !cells[4].isEmpty { row[3] += 1 }
                if length > 0 && !(cells[5] + cells[6] + cells[7]).isEmpty { row[4] += 1 }
                if !cells[6].isEmpty { row[5] += 1 }
                if !cells[8].isEmpty { row[6] += 1 }
                theirs[key] = row
            }
            for key in Set(mine.keys).union(theirs.keys).sorted() {
                compared += 1
                if mine[key] != theirs[key] {
                    disagreements.append("\(name) \(key): netlab \(mine[key] ?? []) tshark \(theirs[key] ?? [])")
                }
            }
        }
        print(
            "\nTCP DYNAMICS vs tshark: \(paths.count) captures, \(compared) directions, \(disagreements.count) differ")
        XCTAssertGreaterThan(compared, 40)
        XCTAssertEqual(disagreements, [], disagreements.joined(separator: "\n"))
    }

    /// `127.0.0.1:50000` or `[::1]:50000` → 50000.
    static func port(_ endpoint: String) -> String {
        String(endpoint.split(separator: ":").last ?? "")
    }

    /// Ethernet frames of one IPv4 connection, 10.0.0.1:40000 → 10.0.0.2:80, for a pcap.
    struct Frames {
        var packets: [(time: Double, bytes: [UInt8])] = []
        var time = 1_700_000_000.0
        static let clientISN: UInt32 = 1000, serverISN: UInt32 = 5000

        static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
        static func be32(_ v: UInt32) -> [UInt8] { be16(UInt16(v >> 16)) + be16(UInt16(v & 0xFFFF)) }
        static func mss(_ value: UInt16) -> [UInt8] { [2, 4] + be16(value) }

        /// A segment `after` seconds after the previous one; `seq` and `ack` relative to the ISNs.
        mutating func add(
            fromClient: Bool, after: Double, seq: UInt32, ack: UInt32, flags: UInt8, window: UInt16 = 4096,
            length: Int = 0, options: [UInt8] = []
        ) {
            time += after
            let own = fromClient ? Self.clientISN : Self.serverISN, peer = fromClient ? Self.serverISN : Self.clientISN
            var tcp = Self.be16(fromClient ? 40000 : 80) + Self.be16(fromClient ? 80 : 40000)
            tcp += Self.be32(own &+ seq) + Self.be32(flags & 0x10 != 0 ? peer &+ ack : 0)
            tcp += [UInt8((20 + options.count) / 4) << 4, flags] + Self.be16(window) + [0, 0, 0, 0] + options
            tcp += [UInt8](repeating: 0x61, count: length)
            var ip: [UInt8] = [0x45, 0] + Self.be16(UInt16(20 + tcp.count)) + [0, 1, 0x40, 0, 64, 6, 0, 0]
            ip += fromClient ? [10, 0, 0, 1, 10, 0, 0, 2] : [10, 0, 0, 2, 10, 0, 0, 1]
            packets.append((time, [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00] + ip + tcp))
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
}

extension TCPRole {
    static let allSides: [TCPRole] = [.client, .server]
}

/// Lessons on a `netlab path` name the file their exercise captures into; the others capture on lo.
final class PathExerciseCaptureTests: XCTestCase {
    func testOnlyThePathLessonsCaptureThemselves() throws {
        var named: [Int: String] = [:]
        for lesson in try Lesson.all(in: LessonTests.lessonsDirectory) {
            guard let file = lesson.exerciseCaptureFile else { continue }
            named[lesson.number] = file
            let exercise = try XCTUnwrap(lesson.exercise)
            // The file is one its own commands write, inside the path.
            XCTAssertTrue(
                exercise.commands.contains { $0.contains("sniff --path") && $0.contains("-w \(file)") },
                "lesson \(lesson.number): no `sniff --path … -w \(file)` among \(exercise.commands)")
            XCTAssertTrue(file.hasPrefix(ScriptRunner.workDirectory + "/"), file)
        }
        XCTAssertEqual(named.keys.sorted(), [19, 20])
        let parsed = Lesson(
            markdown: "# 99. x\n```exercise\n# capture file:   ~/netlab-work/a.pcap (why)\nnetlab x\n```\n",
            path: "99-x.md")
        XCTAssertEqual(parsed.exerciseCaptureFile, "~/netlab-work/a.pcap")
        XCTAssertEqual(parsed.exercise?.commands, ["netlab x"], "the marker is a comment, not a command")
    }

    /// `lesson record 19` would capture lo, where the path's packets never pass: it says so.
    func testRecordingAPathLessonOnLoopbackIsRefused() throws {
        let result = try Harness.run(["lesson", "record", "19", "--lessons", LessonTests.lessonsDirectory])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("sudo netlab sniff --path server -w"), result.stderr)
        XCTAssertTrue(result.stderr.contains("sudo netlab lesson record 19 --exercise"), result.stderr)
    }

    /// A path exercise whose file never appears (its sniff failed) is an error, not an empty pass.
    func testAMissingCaptureFileIsAnError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-pathex-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let lesson = Lesson(
            markdown: "# 98. x\n```exercise\n# capture file: ~/netlab-work/none.pcap\ntrue\n```\n",
            path: directory.path + "/98-x.md")
        let exercise = LessonExercise(lesson: lesson, binDirectory: "/bin", workingDirectory: directory.path)
        XCTAssertThrowsError(try exercise.record(to: directory.path + "/out.pcap")) { error in
            XCTAssertTrue("\(error)".contains("none.pcap"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path + "/out.pcap"))
    }
}
