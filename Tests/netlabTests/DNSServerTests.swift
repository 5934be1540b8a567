import Foundation
import Inspect
import Sockets
import TestSupport
import XCTest

/// `netlab server dns` and `netlab resolve --server`, end to end: answers read back by scapy
/// (an independent decoder) agree with the zone's meaning for seeded questions; hostile
/// datagrams never stop the server; resolve reports each outcome with its exit code; and, when
/// capturing is allowed, netlab prints the real exchange exactly as tcpdump does.
final class DNSServerTests: XCTestCase {
    static let zone = Harness.root.appendingPathComponent("lessons/zones/netlab.test.zone").path

    /// The zone's records, restated here by hand (not read by netlab's parser): name → [(type, data)].
    static let expected: [String: [(UInt16, String)]] = [
        "netlab.test.": [
            (6, "ns1.netlab.test. admin.netlab.test. 2026120101 3600 600 86400 60"), (2, "ns1.netlab.test."),
            (15, "10 mail.netlab.test."), (16, "\"netlab lesson zone\" \"second string\""),
        ],
        "ns1.netlab.test.": [(1, "127.0.0.1")],
        "www.netlab.test.": [(1, "127.0.0.1"), (28, "::1")],
        "web.netlab.test.": [(5, "www.netlab.test.")],
        "mail.netlab.test.": [(1, "127.0.0.2")],
        "_http._tcp.netlab.test.": [(33, "0 5 8000 www.netlab.test.")],
    ]

    private func startServer() throws -> ServerProcess {
        try ServerProcess(["server", "dns", "--zone", Self.zone, "--port", "0"])
    }

    func testAnswersReadByScapyMatchTheZone() throws {
        guard let python = ProcessInfo.processInfo.environment["NETLAB_TEST_PYTHON"] else {
            throw XCTSkip("SKIPPED: NETLAB_TEST_PYTHON (with scapy) is not set; scripts/test.sh sets it up")
        }
        let count = Int(ProcessInfo.processInfo.environment["NETLAB_DNS_QUERIES"] ?? "") ?? 400
        let server = try startServer()
        defer { server.stop() }
        let (status, out, err) = try Harness.runProcess(
            URL(fileURLWithPath: python),
            [
                Harness.root.appendingPathComponent("scripts/dns-reference.py").path, "--port", "\(server.port)",
                "--seed", "1", "--count", "\(count)",
            ], timeout: 120)
        XCTAssertEqual(status, 0, String(decoding: err, as: UTF8.self))
        var checked = 0
        var disagreements: [String] = []
        for line in String(decoding: out, as: UTF8.self).split(separator: "\n") {
            let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let asked = (row["name"] as! String)
            let name = asked.lowercased()
            let type = UInt16(row["type"] as! Int)
            if let error = row["error"] {
                disagreements.append("\(asked) \(type): scapy could not read it: \(error)"); continue
            }
            let rcode = row["rcode"] as! Int
            let answers = (row["answers"] as! [[Any]]).map {
                "\($0[0] as! String) \($0[1] as! Int) \($0[2] as! String)"
            }
            // What the zone means, stated independently of DNSResponder.
            var wantCode = 0, wantAnswers: [String] = [], wantAuthority = 0
            if !name.hasSuffix("netlab.test.") {
                wantCode = 5
            } else if let records = Self.expected[name] {
                let direct = records.filter { type == 255 || $0.0 == type }
                if !direct.isEmpty {
                    wantAnswers = direct.map { "\(name) \($0.0) \($0.1)" }
                } else if let alias = records.first(where: { $0.0 == 5 }) {
                    wantAnswers =
                        ["\(name) 5 \(alias.1)"]
                        + (Self.expected[alias.1] ?? []).filter { $0.0 == type }.map { "\(alias.1) \($0.0) \($0.1)" }
                    if wantAnswers.count == 1 { wantAuthority = 0 }
                } else {
                    wantAuthority = 1
                }
            } else {
                wantCode = 3
                wantAuthority = 1
            }
            let authority = row["authority"] as! Int
            let authoritative = row["aa"] as! Int
            if rcode != wantCode || answers != wantAnswers || authority != wantAuthority
                || authoritative != (wantCode == 5 ? 0 : 1) || row["ra"] as! Int != 0
            {
                disagreements.append(
                    "\(asked) type \(type): got rcode \(rcode) aa \(authoritative) \(answers) authority \(authority); "
                        + "want rcode \(wantCode) \(wantAnswers) authority \(wantAuthority)")
            }
            checked += 1
        }
        print("DNS server vs scapy: \(checked) answers read back, \(disagreements.count) disagreements")
        XCTAssertEqual(checked, count)
        XCTAssertEqual(disagreements, [])
    }

    /// Random bytes, cut and mutated queries, responses, oversized datagrams: the server answers
    /// FORMERR or drops them, and still answers a good question right afterwards.
    func testHostileDatagramsNeverStopTheServer() throws {
        let server = try startServer()
        let sent = Int(ProcessInfo.processInfo.environment["NETLAB_DNS_HOSTILE"] ?? "") ?? 2_000
        let socket = try Socket(.udp, family: .inet)
        let address = try XCTUnwrap(SocketAddress(numeric: "127.0.0.1", port: server.port))
        var random = SeededGenerator(state: 11)
        var good = DNSMessage(identifier: 7, flags: 0x0100)
        good.questions = [DNSMessage.Question(name: DNSName.labels("www.netlab.test")!, type: DNSType.a)]
        let valid = good.encode()
        for index in 0..<sent {
            var datagram: [UInt8]
            switch index % 5 {
            case 0:
                datagram = (0..<Int.random(in: 0...64, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
            case 1: datagram = Array(valid.prefix(Int.random(in: 0..<valid.count, using: &random)))
            case 2:
                datagram = valid
                for _ in 0..<3 {
                    datagram[Int.random(in: 0..<datagram.count, using: &random)] = UInt8.random(
                        in: 0...255, using: &random)
                }
            case 3:
                datagram = valid
                datagram[2] |= 0x80  // a response: must be dropped, never answered
            default: datagram = valid + [UInt8](repeating: 0x41, count: Int.random(in: 1...9000, using: &random))
            }
            _ = try? socket.send(datagram, to: address)
            // Drain answers so the socket buffer never fills (each is one datagram).
            while (try? socket.wait(for: .readable, timeout: 0)) == true { _ = try? socket.receiveFrom(limit: 65536) }
            if index % 200 == 0 { Thread.sleep(forTimeInterval: 0.01) }
        }
        let result = try Harness.run(["resolve", "www.netlab.test", "--server", "127.0.0.1:\(server.port)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("www.netlab.test.         300    IN  A      127.0.0.1"), result.stdout)
        XCTAssertEqual(server.stop(), 0)
        let summary = server.errors.snapshot.map(\.1).last { $0.hasPrefix("stopped:") } ?? ""
        print("DNS server after \(sent) hostile datagrams: \(summary)")
        XCTAssertTrue(summary.contains("dropped (not DNS queries)"), summary)
        XCTAssertTrue(summary.contains("FORMERR"), summary)
        XCTAssertFalse(server.errors.snapshot.contains { $0.1.contains("Fatal") || $0.1.contains("error:") })
    }

    func testResolveReportsEachOutcomeWithItsExitCode() throws {
        let server = try startServer()
        defer { server.stop() }
        let at = "127.0.0.1:\(server.port)"
        let cases: [([String], Int32, String)] = [
            (["www.netlab.test", "--record", "AAAA"], 0, "AAAA   ::1"),
            (["web.netlab.test"], 0, "CNAME  www.netlab.test."),
            (["netlab.test", "--record", "MX", "--show"], 0, "QDCOUNT=1 ANCOUNT=1"),
            (["nope.netlab.test"], 68, "NXDomain*-"),
            (["example.com"], 69, "Refused-"),
        ]
        for (arguments, status, text) in cases {
            let result = try Harness.run(["resolve"] + arguments + ["--server", at])
            XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.contains(text), "\(arguments): \(result.stdout)")
        }
        let unused = try Socket(.udp, family: .inet)
        try unused.bind(XCTUnwrap(SocketAddress(numeric: "127.0.0.1", port: 0)))
        let closedPort = unused.localPort
        unused.close()
        let refused = try Harness.run(["resolve", "x.netlab.test", "--server", "127.0.0.1:\(closedPort)"])
        XCTAssertEqual(refused.status, 69, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("ECONNREFUSED"), refused.stderr)
        for bad in [["x", "--server", "nonsense:port"], ["x", "--record", "BOGUS", "--server", at], ["x", "--show"]] {
            XCTAssertEqual(try Harness.run(["resolve"] + bad).status, 64, "\(bad)")
        }
    }

    /// The real exchange, captured: netlab's lines equal tcpdump's, and equal what resolve said
    /// tcpdump would print.
    func testCapturedExchangePrintsAsTcpdumpDoes() throws {
        try Harness.requireLiveCapture()
        guard let tcpdump = DifferentialTests.tcpdumpPath() else { throw XCTSkip("SKIPPED: tcpdump is not installed") }
        // Port 53 (root may bind it), on a loopback address of its own: tcpdump decodes DNS only there.
        let host = "127.0.0.153"
        let server: ServerProcess
        do {
            server = try ServerProcess(["server", "dns", "--zone", Self.zone, "--port", "53", "--bind", host])
        } catch {
            throw XCTSkip("SKIPPED: cannot serve DNS on \(host):53 here (\(error))")
        }
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-dns-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("dns.pcap").path
        let sniffer = Process()
        sniffer.executableURL = try Harness.netlab
        sniffer.arguments = ["sniff", "-w", file, "lo", "host", host, "and", "udp", "port", "53"]
        let errors = LineCollector(), pipe = Pipe()
        sniffer.standardError = pipe
        errors.attach(pipe)
        try sniffer.run()
        XCTAssertTrue(errors.wait(until: Date() + 10) { $0.contains { $0.1.contains("listening on") } })
        var promised: [String] = []
        for (name, type) in [("www.netlab.test", "A"), ("web.netlab.test", "AAAA"), ("nope.netlab.test", "TXT")] {
            let result = try Harness.run(["resolve", name, "--server", host, "--record", type])
            promised += result.stdout.split(separator: "\n").filter { $0.contains("tcpdump -nn prints: ") }.map {
                String($0.split(separator: "prints: ", maxSplits: 1)[1])
            }
        }
        sniffer.interrupt()
        sniffer.waitUntilExit()
        for verbose in [false, true] {
            let want = try DifferentialTests.runTcpdump(tcpdump, file, verbose: verbose)
            let got = try Harness.run(["sniff", "-r", file] + (verbose ? ["-v"] : [])).stdout
            XCTAssertEqual(got, want, verbose ? "-v" : "-nn")
            XCTAssertEqual(ScopeClassifier.records(want).count, 6, want)
        }
        let lines = try DifferentialTests.runTcpdump(tcpdump, file, verbose: false).split(separator: "\n")
        XCTAssertEqual(promised.count, 6)
        for text in promised { XCTAssertEqual(lines.filter { $0.hasSuffix(text) }.count, 1, text) }
    }
}
