import Foundation
import XCTest

/// `netlab ping` end to end: replies on both families with their TTL, the same identifier in
/// the capture as on screen, no reply and unreachable inside private network namespaces, and a
/// clear refusal where no ICMP socket is allowed.
final class PingTests: XCTestCase {
    private var isRoot: Bool { getuid() == 0 }

    /// Ping works here as root (raw socket) or where ping_group_range lets this user in.
    private func requirePing() throws {
        let probe = try Harness.run(["ping", "127.0.0.1", "-c", "1", "-W", "1"])
        if probe.status == 77 {
            throw XCTSkip("SKIPPED: no ICMP socket for this user (\(probe.stderr.prefix(120))…); CI runs as root")
        }
    }

    func testRepliesOnBothFamiliesWithTTLAndStatistics() throws {
        try requirePing()
        let four = try Harness.run(["ping", "127.0.0.1", "-c", "3", "-i", "0.05"])
        XCTAssertEqual(four.status, 0, four.stderr)
        let replies = four.stdout.split(separator: "\n").filter { $0.contains("bytes from 127.0.0.1: icmp_seq=") }
        XCTAssertEqual(replies.count, 3, four.stdout)
        for (index, line) in replies.enumerated() {
            XCTAssertTrue(line.hasPrefix("64 bytes from 127.0.0.1: icmp_seq=\(index + 1) ttl=64 time="), String(line))
        }
        XCTAssertTrue(four.stdout.contains("3 packets transmitted, 3 received, 0% packet loss"), four.stdout)
        XCTAssertTrue(four.stdout.contains("rtt min/avg/max/mdev = "), four.stdout)

        let six = try Harness.run(["ping", "::1", "-c", "2", "-i", "0.05", "--show", "-s", "100"])
        XCTAssertEqual(six.status, 0, six.stderr)
        XCTAssertTrue(six.stdout.contains("108 bytes from ::1: icmp_seq=2 hlim=64"), six.stdout)
        XCTAssertTrue(six.stdout.contains("type       128 (ICMPv6 echo request)"), six.stdout)
        XCTAssertTrue(six.stdout.contains("type       129 (ICMPv6 echo reply)"), six.stdout)
        XCTAssertTrue(six.stdout.contains("data       100 bytes"), six.stdout)
    }

    /// What ping prints is what is on the wire: the capture shows the identifier and sequence
    /// numbers ping reported, as tcpdump prints them.
    func testTheCaptureShowsTheSameIdentifierAndSequences() throws {
        try Harness.requireLiveCapture()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-ping-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("ping.pcap").path
        let sniffer = Process()
        sniffer.executableURL = try Harness.netlab
        sniffer.arguments = ["sniff", "-w", file, "lo", "icmp"]
        let errors = LineCollector()
        let pipe = Pipe()
        sniffer.standardError = pipe
        errors.attach(pipe)
        try sniffer.run()
        XCTAssertTrue(errors.wait(until: Date() + 10) { $0.contains { $0.1.contains("listening on") } })
        let ping = try Harness.run(["ping", "127.0.0.1", "-c", "2", "-i", "0.05"])
        sniffer.interrupt()
        sniffer.waitUntilExit()
        XCTAssertEqual(ping.status, 0, ping.stderr)
        let identifier = try XCTUnwrap(
            ping.stdout.split(separator: " ").firstIndex(of: "identifier").map {
                ping.stdout.split(separator: " ")[$0 + 1].trimmingCharacters(in: .punctuationCharacters)
            })
        let lines = try Harness.run(["sniff", "-r", file]).stdout.split(separator: "\n")
        for sequence in 1...2 {
            for kind in ["request", "reply"] {
                let expected = "127.0.0.1 > 127.0.0.1: ICMP echo \(kind), id \(identifier), seq \(sequence), length 64"
                XCTAssertEqual(lines.filter { $0.hasSuffix(expected) }.count, 1, "\(expected) in \(lines)")
            }
        }
    }

    /// Inside a private network namespace: with loopback down nothing is reachable (69); with
    /// loopback up but echo ignored there is no reply (75). The host's namespace is not touched.
    func testNoReplyAndUnreachableInPrivateNamespaces() throws {
        guard isRoot else { throw XCTSkip("SKIPPED: network namespaces need root; CI runs as root") }
        let netlab = try Harness.netlab.path
        let down = try Harness.runProcess(
            URL(fileURLWithPath: "/usr/bin/unshare"), ["-n", netlab, "ping", "127.0.0.1", "-c", "2", "-i", "0.05"],
            timeout: 30)
        XCTAssertEqual(down.0, 69, String(decoding: down.1 + down.2, as: UTF8.self))
        XCTAssertTrue(String(decoding: down.2, as: UTF8.self).contains("unreachable"))
        let script =
            "ip link set lo up && sysctl -qw net.ipv4.icmp_echo_ignore_all=1 && exec \"$0\" ping 127.0.0.1 -c 2 -i 0.05 -W 0.3"
        let silent = try Harness.runProcess(
            URL(fileURLWithPath: "/usr/bin/unshare"), ["-n", "sh", "-c", script, netlab], timeout: 30)
        let output = String(decoding: silent.1, as: UTF8.self)
        XCTAssertEqual(silent.0, 75, output + String(decoding: silent.2, as: UTF8.self))
        XCTAssertTrue(output.contains("2 packets transmitted, 0 received, 100% packet loss"), output)
        XCTAssertTrue(String(decoding: silent.2, as: UTF8.self).contains("no reply from 127.0.0.1"))
    }

    /// Where neither socket kind is allowed the answer is one line saying why and what to do.
    func testRefusalSaysWhyAndWhatToDo() throws {
        var result: (Int32, String)
        if isRoot {
            // Drop to nobody, whose group the default ping_group_range ("1 0") leaves out.
            let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ping_group_range", encoding: .utf8)) ?? ""
            guard range.split(whereSeparator: \.isWhitespace) == ["1", "0"] else {
                throw XCTSkip("SKIPPED: ping_group_range is '\(range)' here, so unprivileged ping is allowed")
            }
            let run = try Harness.runProcess(
                URL(fileURLWithPath: "/usr/bin/setpriv"),
                [
                    "--reuid=65534", "--regid=65534", "--clear-groups", try Harness.netlab.path, "ping", "127.0.0.1",
                    "-c", "1",
                ],
                timeout: 30)
            let binary = try Harness.netlab.path
            guard run.0 != 126 && run.0 != 127 else {
                throw XCTSkip("SKIPPED: user nobody cannot run \(binary) from here")
            }
            result = (run.0, String(decoding: run.2, as: UTF8.self))
        } else {
            let run = try Harness.run(["ping", "127.0.0.1", "-c", "1"])
            guard run.status == 77 else { throw XCTSkip("SKIPPED: this user may ping (ping_group_range allows it)") }
            result = (run.status, run.stderr)
        }
        XCTAssertEqual(result.0, 77, result.1)
        XCTAssertTrue(result.1.contains("net.ipv4.ping_group_range = 1"), result.1)
        XCTAssertTrue(result.1.contains("sudo"), result.1)
        XCTAssertEqual(result.1.split(separator: "\n").count, 1, result.1)
    }

    func testBadArgumentsAndUnknownHosts() throws {
        for arguments in [["127.0.0.1", "-c", "0"], ["127.0.0.1", "-s", "4"], ["127.0.0.1", "--ttl", "300"]] {
            let bad = try Harness.run(["ping"] + arguments)
            XCTAssertEqual(bad.status, 64, "\(arguments): \(bad.stderr)")
        }
        let unknown = try Harness.run(["ping", "no-such-host.invalid", "-c", "1"])
        XCTAssertEqual(unknown.status, 68, unknown.stderr)
    }
}
