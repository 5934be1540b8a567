import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// `netlab path` end to end, as root (each test skips with the reason otherwise): the path comes
/// up and goes away leaving nothing (after SIGKILL too, once the stale path is cleaned), TCP
/// sees MSS 1460 and the delay, the rate limit sets the transfer time, loss makes
/// retransmissions that `sniff --json` flags as tshark does, and a seed fixes the relay's counters.
final class PathTests: XCTestCase {
    /// A `netlab path run` in the background, its stderr collected.
    final class RunningPath {
        let process = Process()
        let lines = LineCollector()
        var pid: Int32 { process.processIdentifier }

        init(_ arguments: [String]) throws {
            process.executableURL = try Harness.netlab
            process.arguments = ["path", "run"] + arguments
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            lines.attach(err)
            try process.run()
            guard lines.wait(until: Date() + 15, { $0.contains { $0.1.hasPrefix("path up") } }) else {
                process.terminate()
                throw HarnessError("path run did not come up: \(lines.snapshot.map(\.1))")
            }
        }

        /// Ctrl-C, and the run's stderr once it has ended.
        func stop() throws -> [String] {
            process.interrupt()
            let deadline = Date() + 15
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            guard !process.isRunning else {
                kill(pid, SIGKILL)
                throw HarnessError("path run did not stop within 15 s of SIGINT")
            }
            lines.waitForEnd()
            return lines.snapshot.map(\.1)
        }

        /// "client → server: …" and "server → client: …", as printed at the end.
        static func counters(_ lines: [String]) -> [String] {
            lines.filter { $0.contains("client → server:") || $0.contains("server → client:") }
        }
    }

    func requireRoot() throws {
        guard geteuid() == 0 else {
            throw XCTSkip("SKIPPED: netlab path needs root (it creates network namespaces); CI runs as root")
        }
    }

    static func hostLinks() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? [])
    }

    static func namespaceInodes(owner: Int32) -> [UInt64] {
        ["client", "server"].compactMap { side in
            var info = stat()
            return stat("/run/netns/netlab-\(owner)-\(side)", &info) == 0 ? UInt64(info.st_ino) : nil
        }
    }

    /// Processes whose network namespace is one of `inodes`.
    static func processes(in inodes: [UInt64]) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard Int32(entry) != nil,
                let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/ns/net"),
                inodes.contains(where: { link == "net:[\($0)]" })
            else { return nil }
            return entry
        }
    }

    /// Nothing of `owner`'s path: no name, no mount, no process, no new host link.
    func assertNothingLeft(
        owner: Int32, inodes: [UInt64], links: Set<String>, file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(Self.namespaceInodes(owner: owner), [], "names left under /run/netns", file: file, line: line)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        XCTAssertFalse(mounts.contains("netlab-\(owner)-"), "mount left", file: file, line: line)
        XCTAssertEqual(Self.processes(in: inodes), [], "processes left in the namespaces", file: file, line: line)
        XCTAssertEqual(Self.hostLinks(), links, "host links changed", file: file, line: line)
    }

    func testUpAndDownLeavesNothingBehind() throws {
        try requireRoot()
        let links = Self.hostLinks()
        let path = try RunningPath(["--delay", "5ms", "--", "sleep", "60"])
        let inodes = Self.namespaceInodes(owner: path.pid)
        XCTAssertEqual(inodes.count, 2, "both sides named under /run/netns while up")
        // The command is started just after "path up": wait for it to be inside.
        let deadline = Date() + 5
        while Self.processes(in: inodes).count != 1 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertEqual(Self.processes(in: inodes).count, 1, "the server command runs inside")
        XCTAssertEqual(Self.hostLinks(), links, "nothing added to the host's namespace")
        let lines = try path.stop()
        XCTAssertEqual(path.process.terminationStatus, 0, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("path down") })
        assertNothingLeft(owner: path.pid, inodes: inodes, links: links)
    }

    func testACrashedRunRemovesItsNamesAndItsServerEnds() throws {
        try requireRoot()
        let links = Self.hostLinks()
        let path = try RunningPath(["--", "sleep", "60"])
        let inodes = Self.namespaceInodes(owner: path.pid)
        XCTAssertEqual(inodes.count, 2)
        kill(path.pid, SIGSEGV)
        path.process.waitUntilExit()
        XCTAssertEqual(path.process.terminationReason, .uncaughtSignal)
        // The server command gets SIGTERM from the kernel when its parent dies (PR_SET_PDEATHSIG).
        let deadline = Date() + 5
        while !Self.processes(in: inodes).isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        assertNothingLeft(owner: path.pid, inodes: inodes, links: links)
    }

    func testAKilledRunIsFoundStaleAndCleaned() throws {
        try requireRoot()
        let links = Self.hostLinks()
        let path = try RunningPath(["--", "sleep", "60"])
        let owner = path.pid
        let inodes = Self.namespaceInodes(owner: owner)
        kill(owner, SIGKILL)
        path.process.waitUntilExit()
        XCTAssertEqual(Self.namespaceInodes(owner: owner), inodes, "a killed run cannot clean up after itself")
        // The next run finds the path stale (owner dead), says so, removes it.
        let next = try RunningPath([])
        let said = next.lines.snapshot.map(\.1).filter {
            $0.contains("removed the stale path of netlab process \(owner)")
        }
        XCTAssertEqual(said.count, 1, next.lines.snapshot.map(\.1).joined(separator: "\n"))
        _ = try next.stop()
        assertNothingLeft(owner: owner, inodes: inodes, links: links)
        assertNothingLeft(owner: next.pid, inodes: inodes, links: links)
        let clean = try Harness.run(["path", "clean"], timeout: 20)
        XCTAssertEqual(clean.stdout, "no paths\n")
    }

    func testWithoutRootOneLineAndExitCode77() throws {
        let arguments = ["path", "run", "--", "true"]
        let result: (Int32, String)
        if geteuid() == 0 {
            // As an unprivileged user, through setpriv.
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
                throw XCTSkip("SKIPPED: no setpriv to drop root for this check")
            }
            let (status, _, err) = try Harness.runProcess(
                URL(fileURLWithPath: "/usr/bin/setpriv"),
                ["--reuid=65534", "--regid=65534", "--clear-groups", try Harness.netlab.path] + arguments, timeout: 20)
            result = (status, String(decoding: err, as: UTF8.self))
        } else {
            let run = try Harness.run(arguments, timeout: 20)
            result = (run.status, run.stderr)
        }
        XCTAssertEqual(result.0, 77)
        XCTAssertEqual(result.1.split(separator: "\n").count, 1, result.1)
        XCTAssertTrue(result.1.contains("needs root") && result.1.contains("sudo netlab path run"), result.1)
    }

    /// A directory with one file of `size` bytes, served by `netlab server http` on the path.
    func makeSite(size: Int) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-path-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        try Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(
            to: directory.appendingPathComponent("file"))
        return directory
    }

    /// curl on the client side until the server answers (it may still be starting): curl's
    /// `-w` output of the successful try.
    func fetch(_ format: String) throws -> String {
        for _ in 0..<50 {
            let result = try Harness.run(
                ["path", "exec", "--", "curl", "-s", "-o", "/dev/null", "-w", format, "http://10.213.0.2:8000/file"],
                timeout: 60)
            if result.status == 0 { return result.stdout }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw HarnessError("curl over the path never succeeded")
    }

    /// A live `netlab sniff` in the path writing `file`, with the lines it prints.
    func startSniff(_ side: String, _ arguments: [String]) throws -> (Process, LineCollector, LineCollector) {
        let sniff = Process()
        sniff.executableURL = try Harness.netlab
        sniff.arguments = ["sniff", "--path", side] + arguments
        let out = Pipe(), err = Pipe()
        sniff.standardOutput = out
        sniff.standardError = err
        let outLines = LineCollector(), errLines = LineCollector()
        outLines.attach(out)
        errLines.attach(err)
        try sniff.run()
        guard errLines.wait(until: Date() + 15, { $0.contains { $0.1.hasPrefix("listening on netlab0") } }) else {
            sniff.terminate()
            throw HarnessError("sniff --path did not start: \(errLines.snapshot.map(\.1))")
        }
        return (sniff, outLines, errLines)
    }

    func stopSniff(_ sniff: Process, _ out: LineCollector) {
        Thread.sleep(forTimeInterval: 0.3)  // the last packets reach the capture
        sniff.interrupt()
        let deadline = Date() + 10
        while sniff.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if sniff.isRunning { sniff.terminate() }
        out.waitForEnd()
    }

    func testTheSYNCarriesMSS1460AndTheRoundTripShowsTheDelay() throws {
        try requireRoot()
        let site = try makeSite(size: 20_000)
        let path = try RunningPath(
            [
                "--delay", "20ms", "--", try Harness.netlab.path, "server", "http", "--bind", "0.0.0.0", "--root",
                site.path,
            ])
        defer { _ = try? path.stop() }
        let capture = site.appendingPathComponent("client.pcap").path
        let (sniff, out, _) = try startSniff("client", ["-w", capture, "tcp", "port", "8000"])
        let connect = try fetch("%{time_connect}")
        stopSniff(sniff, out)
        // tcpdump reads the capture: an independent decoder.
        let (_, text, _) = try Harness.runProcess(
            URL(fileURLWithPath: "/usr/bin/tcpdump"), ["-tt", "-nn", "-r", capture], timeout: 20)
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init)
        let syns = lines.filter { $0.contains("Flags [S]") }, synAcks = lines.filter { $0.contains("Flags [S.]") }
        XCTAssertFalse(syns.isEmpty)
        XCTAssertFalse(synAcks.isEmpty)
        for line in syns + synAcks { XCTAssertTrue(line.contains("mss 1460"), line) }
        let ours = try Harness.run(["sniff", "-r", capture, "tcp[tcpflags] & tcp-syn != 0"])
        XCTAssertTrue(ours.stdout.contains("mss 1460"), ours.stdout)
        // The SYN-ACK answering the last SYN comes at least two one-way delays later.
        let time = { (line: String) in Double(line.split(separator: " ")[0]) ?? 0 }
        let rtt = time(synAcks.last!) - time(syns.last!)
        print("path: SYN→SYN-ACK \(Int(rtt * 1000)) ms with --delay 20ms; curl time_connect \(connect) s")
        XCTAssertGreaterThanOrEqual(rtt, 0.040)
        XCTAssertGreaterThanOrEqual(Double(connect) ?? 0, 0.040)
    }

    func testATransferAtTenMbitTakesTheTheoreticalTime() throws {
        try requireRoot()
        let size = 1_500_000
        let site = try makeSite(size: size)
        let path = try RunningPath(
            [
                "--rate", "10mbit", "--queue", "64", "--", try Harness.netlab.path, "server", "http", "--bind",
                "0.0.0.0",
                "--root", site.path,
            ])
        defer { _ = try? path.stop() }
        let times = try fetch("%{time_pretransfer} %{time_total} %{size_download}").split(separator: " ")
        XCTAssertEqual(times.count, 3)
        guard times.count == 3, let start = Double(times[0]), let end = Double(times[1]) else { return }
        XCTAssertEqual(Int(times[2]), size)
        // On the wire: 1448 bytes of data per 1500-byte packet (IP 20 + TCP 20 + timestamps 12).
        let packets = (Double(size) / 1448).rounded(.up)
        let theoretical = packets * 1500 * 8 / 10e6
        let measured = end - start
        print(
            "path: \(size) bytes at 10mbit in \(measured) s; theoretical \(theoretical) s; ratio \(measured / theoretical)"
        )
        XCTAssertGreaterThanOrEqual(measured, theoretical * 0.8)
        XCTAssertLessThanOrEqual(measured, theoretical * 1.2)
    }

    func testLossMakesRetransmissionsThatJSONFlagsAsTsharkDoes() throws {
        try requireRoot()
        let site = try makeSite(size: 1_000_000)
        let path = try RunningPath(
            [
                "--loss", "1%", "--delay", "5ms", "--seed", "3", "--", try Harness.netlab.path, "server", "http",
                "--bind",
                "0.0.0.0", "--root", site.path,
            ])
        let capture = site.appendingPathComponent("server.pcap").path
        let (sniff, out, _) = try startSniff("server", ["-w", capture, "--print", "--json", "tcp", "port", "8000"])
        _ = try fetch("%{size_download}")
        stopSniff(sniff, out)
        let counters = RunningPath.counters(try path.stop())
        // Wireshark calls a resent segment "out-of-order" rather than a retransmission when it
        // comes less than a round trip after the highest one (SACK recovery on a short path
        // often does): both kinds are compared, frame by frame.
        var flagged: [String: Set<Int>] = ["retransmission": [], "out_of_order": []]
        for line in out.snapshot.map(\.1) where line.contains("\"type\":\"packet\"") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let frame = object["frame"] as? Int, let tcp = object["tcp"] as? [String: Any],
                let analysis = tcp["analysis"] as? [String]
            else { continue }
            if analysis.contains(where: { $0.hasSuffix("retransmission") }) { flagged["retransmission"]!.insert(frame) }
            if analysis.contains("out_of_order") { flagged["out_of_order"]!.insert(frame) }
        }
        func tshark(_ filter: String) throws -> Set<Int> {
            let (_, text, _) = try Harness.runProcess(
                URL(fileURLWithPath: "/usr/bin/tshark"),
                ["-r", capture, "-Y", filter, "-T", "fields", "-e", "frame.number"], timeout: 60)
            return Set(String(decoding: text, as: UTF8.self).split(separator: "\n").compactMap { Int($0) })
        }
        let reference = [
            "retransmission": try tshark(
                "tcp.analysis.retransmission || tcp.analysis.fast_retransmission "
                    + "|| tcp.analysis.spurious_retransmission"),
            "out_of_order": try tshark("tcp.analysis.out_of_order"),
        ]
        print(
            "path: --loss 1%: relay \(counters); netlab flagged \(flagged["retransmission"]!.count) retransmissions "
                + "and \(flagged["out_of_order"]!.count) out-of-order, tshark \(reference["retransmission"]!.count) "
                + "and \(reference["out_of_order"]!.count)")
        // The capture is on the server side, before the relay: nothing there is really out of
        // order, so both kinds are the server's resent segments, and data lost on the way to
        // the client must be resent.
        let lostToClient = counters.last.flatMap { line in
            line.split(separator: ",").first { $0.contains(" lost (") }
                .flatMap { Int($0.split(separator: " ").first ?? "") }
        }
        XCTAssertGreaterThan(lostToClient ?? 0, 0, "the relay lost packets to the client: \(counters)")
        XCTAssertGreaterThan(
            flagged["retransmission"]!.count + flagged["out_of_order"]!.count, 0, "lost data is resent, and flagged")
        for kind in ["retransmission", "out_of_order"] {
            XCTAssertEqual(flagged[kind]!.sorted(), reference[kind]!.sorted(), kind)
        }
    }

    func testTheSameSeedGivesTheSameRelayCounters() throws {
        try requireRoot()
        func counters(seed: Int) throws -> [String] {
            let path = try RunningPath(
                [
                    // The rate paces the burst (300 datagrams at once could overflow the
                    // receiver's buffer, which would change what it answers); the queue holds
                    // them all, so no drop depends on timing.
                    "--loss", "5%", "--dup", "2%", "--reorder", "2%", "--seed", "\(seed)", "--rate", "2mbit",
                    "--queue", "1000", "--",
                    try Harness.netlab.path,
                    "udp", "recv", "--bind", "0.0.0.0", "--port", "9000", "--reply",
                ])
            // Datagrams sent before the receiver binds draw ICMP errors instead of replies, and
            // the counters would differ: wait until it says it is waiting (after its bind).
            XCTAssertTrue(
                path.lines.wait(until: Date() + 15) { $0.contains { $0.1.hasPrefix("Waiting for datagrams on") } },
                "\(path.lines.snapshot.map(\.1))")
            let sent = try Harness.run(
                [
                    "path", "exec", "--", try Harness.netlab.path, "udp", "send", "10.213.0.2", "9000", "hello",
                    "--count",
                    "300", "--wait", "0.5",
                ], timeout: 60)
            XCTAssertEqual(sent.status, 0, sent.stderr)
            return RunningPath.counters(try path.stop())
        }
        let first = try counters(seed: 7), second = try counters(seed: 7), other = try counters(seed: 8)
        print("path: seed 7: \(first); seed 8: \(other)")
        XCTAssertEqual(first.count, 2)
        XCTAssertTrue(first.first?.contains("client → server: 300 packets") == true, "\(first)")
        XCTAssertEqual(first, second)
        XCTAssertNotEqual(first, other)
    }
}
