import Foundation
import Inspect
import Sockets
import TestSupport
import XCTest

@testable import Labs

/// `netlab probe echo`, `probe chat` and `probe upload` against servers whose flaws are known:
/// netlab's own echo, chat and files servers pass every check, and small Python servers written
/// the way students write them (correct by default, one deliberate flaw per run) fail exactly
/// the checks about their flaw, with evidence that shows it, and nothing else.
final class StreamProbeTests: XCTestCase {
    /// A temporary directory for the upload servers, removed afterwards.
    final class Directory {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-upload-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
        var files: [String] { (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] }
    }

    static let timeout = 4.0

    static func probe(_ group: ProbeGroup, port: UInt16, nickname: Bool = false) throws -> ProbeReport {
        var probe = StreamProbe(group: group, host: "127.0.0.1", port: port)
        probe.timeout = timeout
        probe.capture = false
        probe.nickname = nickname
        return try probe.run()
    }

    static func result(_ report: ProbeReport, _ id: String) -> ProbeResult? { report.results.first { $0.id == id } }

    /// Each flaw, the checks it must fail and those it leaves nothing to judge (skipped), and
    /// what the evidence must show.
    struct Case: Sendable {
        var group: ProbeGroup
        var flaw: String
        var failing: Set<String>
        var skipped: Set<String> = []
        var evidence: @Sendable (ProbeReport) -> Bool = { _ in true }
    }

    static let cases: [Case] = [
        Case(group: .echo, flaw: "none", failing: []),
        Case(group: .echo, flaw: "tail", failing: ["echo.half-close"]) { report in
            // Fewer bytes came back than went, and the server closed: the tail was dropped.
            guard let exchange = result(report, "echo.half-close")?.exchanges.first else { return false }
            return exchange.received.count < exchange.sent.count
                && exchange.sent.starts(with: exchange.received) && exchange.ending == "closed by the server"
        },
        Case(group: .echo, flaw: "single-recv", failing: ["echo.large", "echo.half-close"]) { report in
            // At most one recv()'s worth came back.
            guard let exchange = result(report, "echo.large")?.exchanges.first else { return false }
            return exchange.received.count <= 4096 && exchange.sent.starts(with: exchange.received)
        },
        Case(group: .echo, flaw: "serial", failing: ["echo.silent-client", "echo.parallel"]) { report in
            (result(report, "echo.silent-client")?.observed.contains("serial model: see lesson 4") ?? false)
                && report.model.hasPrefix("serial")
        },
        Case(group: .echo, flaw: "text", failing: ["echo.binary"]) { report in
            // The first byte that is not UTF-8 on its own (0x80) came back changed.
            result(report, "echo.binary")?.observed.contains("first difference at byte 128: sent 0x80") ?? false
        },
        Case(group: .chat, flaw: "none", failing: []),
        Case(
            group: .chat, flaw: "sender-only", failing: ["chat.broadcast"],
            skipped: ["chat.pieces", "chat.two-lines", "chat.slow-reader"]
        ) { report in
            result(report, "chat.broadcast")?.observed.contains("A got its own line back") ?? false
        },
        Case(group: .chat, flaw: "split", failing: ["chat.pieces", "chat.two-lines"]) { report in
            result(report, "chat.two-lines")?.observed.contains("relayed as one message") ?? false
        },
        Case(group: .chat, flaw: "blocking", failing: ["chat.slow-reader"]) { report in
            result(report, "chat.slow-reader")?.observed.contains("waits on the client that does not read") ?? false
        },
        Case(group: .upload, flaw: "none", failing: []),
        Case(group: .upload, flaw: "header-one-recv", failing: ["upload.one-byte"]) { report in
            // The server answered, with an error, before the probe had sent the whole header (its
            // length is in the first 4 bytes): it took the header from its first recv(). (Fewer
            // than 20 bytes sent, as this said before, needed the server's thread to wake within
            // 60 ms of the first byte, which a loaded machine does not promise.)
            guard let exchange = result(report, "upload.one-byte")?.exchanges.first else { return false }
            let sent = exchange.sent
            let headerEnd = sent.count < 4 ? Int.max : 4 + sent.prefix(4).reduce(0) { $0 << 8 | Int($1) }
            return String(decoding: exchange.received, as: UTF8.self).contains("\"ok\": false")
                && sent.count < headerEnd
        },
    ]

    static let scripts: [ProbeGroup: String] = [
        .echo: "student_echo_server.py", .chat: "student_chat_server.py", .upload: "student_upload_server.py",
    ]

    func testEachFlawIsCaughtByItsChecksAndNoOther() throws {
        var failures: [String] = []
        for test in Self.cases {
            let directory = try Directory()
            let arguments = (test.group == .upload ? [directory.url.path] : []) + ["--flaw", test.flaw]
            let server = try FixtureServer(Self.scripts[test.group]!, arguments)
            defer { server.stop() }
            let report = try Self.probe(test.group, port: server.port)
            let failed = Set(report.failedIDs)
            let skipped = Set(report.results.filter { $0.status == .skipped }.map(\.id))
            let name = "\(test.group.rawValue) \(test.flaw)"
            if failed != test.failing || skipped != test.skipped {
                failures.append(
                    "\(name): failed \(failed.sorted()) (expected \(test.failing.sorted())), skipped \(skipped.sorted()) "
                        + "(expected \(test.skipped.sorted()))\n" + ProbeText(colour: false).render(report))
            } else if !test.evidence(report) {
                failures.append(
                    "\(name): the evidence does not show the flaw\n" + ProbeText(colour: false).render(report))
            }
            for result in report.results where result.status == .failed && result.exchanges.isEmpty {
                failures.append("\(name): \(result.id) failed without evidence")
            }
            XCTAssertEqual(report.results.map(\.id), StreamProbe.checkIDs(test.group), name)
            print("probe \(name): \(report.passed)/\(report.passed + report.failed) passed, failed \(failed.sorted())")
        }
        XCTAssert(failures.isEmpty, failures.joined(separator: "\n"))
    }

    func testNetlabServersPassEveryCheck() throws {
        let directory = try Directory()
        let servers: [(ProbeGroup, [String], Bool)] = [
            (.echo, ["server", "echo", "--port", "0"], false),
            (.chat, ["server", "chat", "--port", "0"], true),
            (.upload, ["server", "files", "--dir", directory.url.path, "--port", "0"], false),
        ]
        var failures: [String] = []
        for (group, arguments, nickname) in servers {
            let server = try ServerProcess(arguments)
            defer { server.stop() }
            let report = try Self.probe(group, port: server.port, nickname: nickname)
            if report.passed != report.results.count {
                failures.append("netlab \(group.rawValue): \(ProbeText(colour: false).render(report))")
            }
            print("probe netlab \(group.rawValue): \(report.passed)/\(report.results.count) passed")
        }
        // The uploads the server accepted are there, and nothing partial stayed behind.
        let files = directory.files
        XCTAssertEqual(files.filter { $0.hasPrefix("netlab-probe-") }.count, 4, "\(files)")
        XCTAssert(!files.contains { $0.hasPrefix(".") }, "\(files)")
        XCTAssert(failures.isEmpty, failures.joined(separator: "\n"))
    }

    /// Without --nickname netlab's chat server takes each probe line as a nickname: nothing is
    /// relayed, the broadcast check fails and says so, and the framing checks are skipped.
    func testNetlabChatWithoutNicknameFailsBroadcastOnly() throws {
        let server = try ServerProcess(["server", "chat", "--port", "0"])
        defer { server.stop() }
        var probe = StreamProbe(group: .chat, host: "127.0.0.1", port: server.port)
        probe.timeout = 2
        probe.capture = false
        let report = try probe.run()
        XCTAssertEqual(report.failedIDs, ["chat.broadcast"])
        let greeting = try XCTUnwrap(Self.result(report, "chat.broadcast")?.exchanges.last?.received)
        XCTAssert(String(decoding: greeting, as: UTF8.self).contains("nickname"))
    }

    /// The command line: exit 1 and a JSON report naming the failed check, 64 for an unknown
    /// check name, 69 when nothing listens.
    func testCommandLineJSONExitStatusAndOnly() throws {
        let server = try FixtureServer("student_echo_server.py", ["--flaw", "tail"])
        defer { server.stop() }
        let result = try Harness.run(
            [
                "probe", "echo", "127.0.0.1", String(server.port), "--json", "--only", "half-close", "--only", "small",
                "--timeout", "4", "--no-capture",
            ], timeout: 60)
        XCTAssertEqual(result.status, 1, result.stderr)
        let object = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertEqual(object["command"] as? String, "echo")
        let checks = try XCTUnwrap(object["checks"] as? [[String: Any]])
        XCTAssertEqual(checks.map { $0["id"] as? String }, ["echo.small", "echo.half-close"])
        XCTAssertEqual(checks.map { $0["status"] as? String }, ["passed", "failed"])
        let evidence = try XCTUnwrap(checks[1]["evidence"] as? [[String: Any]])
        XCTAssertEqual(evidence.first?["sent_bytes"] as? Int, 262_144)
        XCTAssertLessThan(evidence.first?["received_bytes"] as? Int ?? .max, 262_144)

        let unknown = try Harness.run(["probe", "chat", "127.0.0.1", "9", "--only", "nope"], timeout: 60)
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        XCTAssert(unknown.stderr.contains("broadcast, pieces, two-lines, slow-reader"), unknown.stderr)

        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        let port = listener.localPort
        listener.close()
        let nobody = try Harness.run(["probe", "upload", "127.0.0.1", String(port), "--timeout", "2"], timeout: 60)
        XCTAssertEqual(nobody.status, 69, nobody.stderr)
    }

    /// With root: a failed echo check carries its frames (its SYN from its own port, the
    /// server's FIN after the dropped tail) and a ladder; passed checks carry none.
    func testFailedCheckCarriesFramesWhenCapturing() throws {
        try Harness.requireLiveCapture()
        let server = try FixtureServer("student_echo_server.py", ["--flaw", "tail"])
        defer { server.stop() }
        var probe = StreamProbe(group: .echo, host: "127.0.0.1", port: server.port)
        probe.timeout = Self.timeout
        probe.only = ["small", "half-close"]
        let report = try probe.run()
        XCTAssertNil(report.captureNote)
        XCTAssertEqual(report.failedIDs, ["echo.half-close"])
        let failed = try XCTUnwrap(Self.result(report, "echo.half-close"))
        let port = try XCTUnwrap(failed.exchanges.first?.localPort)
        XCTAssert(failed.frames.contains { $0.contains("Flags [S]") && $0.contains(".\(port) >") }, "\(failed.frames)")
        XCTAssert(failed.frames.contains { $0.contains("> 127.0.0.1.\(port): Flags [F") }, "\(failed.frames)")
        XCTAssertFalse(failed.ladder.isEmpty)
        XCTAssert(report.results.filter { $0.status == .passed }.allSatisfy { $0.frames.isEmpty })
    }

    /// A long exchange's evidence keeps its first and its last frames (the FIN or RST that
    /// ended it), and says how many it left out between them. (The half-close check's FIN once
    /// fell among the frames cut from a list that kept only the first 40.)
    func testLongEvidenceKeepsTheFirstAndTheLastFrames() {
        for count in [0, 1, ProbeEvidence.maxLines - 1, ProbeEvidence.maxLines, ProbeEvidence.maxLines + 1, 5_000] {
            let lines = (0..<count).map { "frame \($0)" }
            let kept = ProbeEvidence.elided(lines, limit: ProbeEvidence.maxLines, noun: "frames")
            guard count > ProbeEvidence.maxLines else {
                XCTAssertEqual(kept, lines)
                continue
            }
            XCTAssertEqual(kept.count, ProbeEvidence.maxLines + 1)
            XCTAssertEqual(kept.first, "frame 0")
            XCTAssertEqual(kept.last, "frame \(count - 1)")
            XCTAssertEqual(kept.filter { $0.hasPrefix("frame") }.count, ProbeEvidence.maxLines)
            let gap = ProbeEvidence.maxLines - ProbeEvidence.tailLines
            XCTAssertEqual(kept[gap], "… \(count - ProbeEvidence.maxLines) more frames …")
        }
    }

    /// The probe's upload encoder against an independent receiver: seeded uploads (0–20,000
    /// bytes, cut into up to 8 pieces at random points, 1 ms apart) to the Python fixture, whose
    /// hashlib must agree with the probe's SHA-256 (it answers ok only then) and whose stored
    /// file must hold the generated body byte for byte. NETLAB_PROBE_UPLOADS sets the count.
    func testGeneratedUploadsAgreeWithThePythonReceiver() throws {
        let count = Int(ProcessInfo.processInfo.environment["NETLAB_PROBE_UPLOADS"] ?? "") ?? 300
        let directory = try Directory()
        let server = try FixtureServer("student_upload_server.py", [directory.url.path])
        defer { server.stop() }
        let context = StreamContext(host: "127.0.0.1", port: server.port, timeout: Self.timeout, nickname: false)
        var generator = SeededGenerator(state: 9)
        var disagreements: [String] = []
        for index in 0..<count {
            let file = UploadProbeChecks.Upload("gen\(index)", size: Int.random(in: 0...20000, using: &generator))
            let bytes = file.bytes
            let cuts = (0..<Int.random(in: 0...7, using: &generator)).map { _ in
                Int.random(in: 0...bytes.count, using: &generator)
            }.sorted()
            let outcome = UploadProbeChecks.upload(context, "generated upload", file) { connection in
                var start = 0
                for end in cuts + [bytes.count] where end > start {
                    guard connection.send(Array(bytes[start..<end]), deadline: context.deadline) else { return false }
                    start = end
                    sleep(seconds: 0.001)
                }
                return true
            }
            let stored = FileManager.default.contents(atPath: directory.url.appendingPathComponent(file.name).path)
            if outcome.passed != true {
                disagreements.append("\(file.body.count) bytes cut at \(cuts): \(outcome.observed)")
            } else if stored != Data(file.body) {
                disagreements.append("\(file.body.count) bytes cut at \(cuts): the stored file differs")
            }
        }
        print("probe uploads: \(count - disagreements.count) of \(count) agree with the Python receiver")
        XCTAssert(disagreements.isEmpty, "\(disagreements.count) of \(count): \(disagreements.prefix(5))")
    }

    /// The probe's echo round trip on generated messages (0–300 KiB of seeded random bytes,
    /// half of them followed by a half-close), against netlab's echo server and the Python
    /// one in turn: each must come back exactly (the generator is the reference), and the
    /// probe must judge it so. NETLAB_PROBE_ECHOES sets the count.
    func testGeneratedEchoesComeBackExactly() throws {
        let count = Int(ProcessInfo.processInfo.environment["NETLAB_PROBE_ECHOES"] ?? "") ?? 200
        let netlab = try ServerProcess(["server", "echo", "--port", "0", "-q"])
        defer { netlab.stop() }
        let python = try FixtureServer("student_echo_server.py", [])
        defer { python.stop() }
        var generator = SeededGenerator(state: 21)
        var disagreements: [String] = []
        for index in 0..<count {
            let port = index % 2 == 0 ? netlab.port : python.port
            let context = StreamContext(host: "127.0.0.1", port: port, timeout: Self.timeout, nickname: false)
            let size = Int.random(in: 0...(300 << 10), using: &generator)
            var words = PayloadGenerator(state: generator.next() | 1)
            var message: [UInt8] = []
            message.reserveCapacity(size + 8)
            while message.count < size {
                withUnsafeBytes(of: words.next()) { message += $0 }
            }
            message.removeLast(message.count - size)
            let halfClose = Bool.random(using: &generator)
            let outcome = EchoProbeChecks.roundTrip(context, "generated", message, halfClose: halfClose)
            if outcome.passed != true {
                disagreements.append("\(size) bytes to port \(port), half-close \(halfClose): \(outcome.observed)")
            }
        }
        print("probe echoes: \(count - disagreements.count) of \(count) came back exactly")
        XCTAssert(disagreements.isEmpty, "\(disagreements.count) of \(count): \(disagreements.prefix(5))")
    }

    /// The judging helpers against independent references on generated inputs (seeded;
    /// NETLAB_PROBE_CASES for more): where two byte strings first differ (the generator knows)
    /// and which complete lines a chat client received (Foundation's split is the reference).
    func testJudgingHelpersAgreeWithReferencesOnGeneratedInputs() {
        let count = Int(ProcessInfo.processInfo.environment["NETLAB_PROBE_CASES"] ?? "") ?? 3000
        var generator = SeededGenerator(state: 15)
        var mismatches: [String] = []
        for _ in 0..<count {
            let size = Int.random(in: 1...300, using: &generator)
            let sent = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var received = sent
            let at = Int.random(in: 0..<size, using: &generator)
            let expected: String
            switch Int.random(in: 0..<4, using: &generator) {
            case 0:
                received.removeSubrange(at...)
                expected = "the first \(at) bytes match; the rest never came"
            case 1:
                received[at] ^= UInt8.random(in: 1...255, using: &generator)
                expected = "first difference at byte \(at): sent \(hex(sent[at])), got \(hex(received[at]))"
            case 2:
                received += Array(repeating: 0x41, count: at + 1)
                expected = "all \(size) bytes match, then \(at + 1) extra"
            default:
                expected = "identical"
            }
            let judged = firstDifference(sent: sent, received: received)
            if judged != expected { mismatches.append("difference: \(judged) ≠ \(expected)") }

            let alphabet: [UInt8] = [0x61, 0x62, 0x0D, 0x0A, 0xC3, 0xA9, 0x20]
            let stream = (0..<Int.random(in: 0...80, using: &generator)).map { _ in
                alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
            }
            var reference = Data(stream).split(separator: 0x0A, omittingEmptySubsequences: false).map { Data($0) }
            reference.removeLast()  // the part after the last newline is not a line yet
            let referenceLines = reference.map { line in
                String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
            }
            let lines = ChatProbeChecks.lines(stream)
            if lines != referenceLines { mismatches.append("lines of \(stream): \(lines) ≠ \(referenceLines)") }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) of \(2 * count) differ: \(mismatches.prefix(5))")
    }
}
