import Foundation
import Inspect
import Labs
import Sockets
import TestSupport
import XCTest

/// The checks lessons 11–14 added, on generated facts whose verdict is known from how they
/// were made, and the server flags lesson 11 needs, live on loopback.
final class Lessons11to14Tests: XCTestCase {
    static var cases: Int { ProcessInfo.processInfo.environment["NETLAB_LONG_TESTS"] == nil ? 2_000 : 50_000 }

    static func check(_ line: String) -> Expectation { Expectation(line: line)! }

    static func label(_ random: inout SeededGenerator) -> [UInt8] {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789-".utf8)
        return (0..<Int.random(in: 1...12, using: &random)).map { _ in letters.randomElement(using: &random)! }
    }

    /// Random queries, each answered rightly, not at all, or by a response that answers
    /// something else (another id, another question, another port); `dns-answered`, `dns-rcode`
    /// and `dns-cname` must count exactly the right ones.
    func testDNSChecksPairQueriesWithTheirAnswers() {
        var random = SeededGenerator(state: 0xD15)
        var tally: [String: Int] = [:]
        for _ in 0..<Self.cases {
            var facts = CaptureFacts()
            var frame = 0
            var answered = 0
            var rcodes: Set<Int> = []
            var cname = false
            func add(_ message: DNSMessage, from source: UInt16, to destination: UInt16) {
                frame += 1
                facts.datagrams.append(
                    Datagram(frame: frame, sourcePort: source, destinationPort: destination, payload: message.encode()))
            }
            // Noise: a datagram that is not DNS, like the exercise's X-Student line.
            if Bool.random(using: &random) {
                frame += 1
                facts.datagrams.append(
                    Datagram(
                        frame: frame, sourcePort: 40_000, destinationPort: 9_401, payload: Array("X-Student: s1".utf8)))
            }
            for index in 0..<Int.random(in: 0...6, using: &random) {
                let name = [Self.label(&random), Array("netlab".utf8), Array("test".utf8)]
                let type = [DNSType.a, DNSType.aaaa, DNSType.mx, DNSType.txt].randomElement(using: &random)!
                let id = UInt16.random(in: 0...UInt16.max, using: &random)
                let clientPort = UInt16(50_000 + index)
                var query = DNSMessage(identifier: id, flags: 0x0100)
                query.questions = [.init(name: name, type: type)]
                add(query, from: clientPort, to: 9_400)
                let rcode = [0, 0, 3, 5].randomElement(using: &random)!
                var response = DNSMessage(identifier: id, flags: 0x8500 | UInt16(rcode))
                response.questions = query.questions
                let chained = rcode == 0 && Bool.random(using: &random)
                if rcode == 0 {
                    var owner = name
                    if chained {
                        let target = [Array("www".utf8), Array("netlab".utf8), Array("test".utf8)]
                        response.answers.append(.init(name: name, type: DNSType.cname, ttl: 300, data: .name(target)))
                        owner = target
                    }
                    // Sometimes the chain's end is missing: then it is no followed CNAME.
                    if !chained || Int.random(in: 0..<4, using: &random) > 0 {
                        response.answers.append(
                            .init(name: owner, type: type, ttl: 300, data: .raw([1, 2, 3, 4])))
                    } else {
                        tally["cname without its target", default: 0] += 1
                    }
                }
                switch Int.random(in: 0..<6, using: &random) {
                case 0:
                    tally["unanswered", default: 0] += 1
                case 1:
                    response.identifier = id &+ 1
                    add(response, from: 9_400, to: clientPort)
                    tally["wrong id", default: 0] += 1
                case 2:
                    response.questions[0].type = type == DNSType.a ? DNSType.aaaa : DNSType.a
                    add(response, from: 9_400, to: clientPort)
                    tally["wrong question", default: 0] += 1
                case 3:
                    add(response, from: 9_400, to: clientPort &+ 100)
                    tally["wrong port", default: 0] += 1
                default:
                    add(response, from: 9_400, to: clientPort)
                    answered += 1
                    rcodes.insert(rcode)
                    if chained && response.answers.count == 2 { cname = true }
                    tally["answered", default: 0] += 1
                }
            }
            let wanted = Int.random(in: 1...4, using: &random)
            let verdict = Self.check("expect dns-answered \(wanted): x").evaluate(facts)
            XCTAssertEqual(verdict.passed, answered >= wanted, verdict.found)
            if answered > 0 { XCTAssertTrue(verdict.found.contains("\(answered) answered"), verdict.found) }
            let nx = Self.check("expect dns-rcode NXDOMAIN: x").evaluate(facts)
            XCTAssertEqual(nx.passed, rcodes.contains(3), nx.found)
            let refused = Self.check("expect dns-rcode REFUSED: x").evaluate(facts)
            XCTAssertEqual(refused.passed, rcodes.contains(5), refused.found)
            let chain = Self.check("expect dns-cname: x").evaluate(facts)
            XCTAssertEqual(chain.passed, cname, chain.found)
        }
        print("\nDNS CHECK CASES (\(Self.cases) captures): \(tally.sorted { $0.key < $1.key })")
    }

    /// Echo requests answered, unanswered, or answered with another id or seq (or from another
    /// address): `ping-answered` counts exactly the matching replies.
    func testPingCheckMatchesIdentifierAndSequence() {
        var random = SeededGenerator(state: 0x1C3)
        for _ in 0..<Self.cases {
            var facts = CaptureFacts()
            var answered = 0
            let id = UInt16.random(in: 0...UInt16.max, using: &random)
            let requests = Int.random(in: 0...6, using: &random)
            for sequence in 0..<requests {
                let seq = UInt16(sequence)
                facts.icmpEchoes.append(
                    ICMPEcho(
                        frame: facts.icmpEchoes.count + 1, isRequest: true, identifier: id, sequence: seq,
                        source: "127.0.0.1", destination: "127.0.0.2"))
                var reply = ICMPEcho(
                    frame: 0, isRequest: false, identifier: id, sequence: seq, source: "127.0.0.2",
                    destination: "127.0.0.1")
                switch Int.random(in: 0..<5, using: &random) {
                case 0: continue
                case 1: reply.identifier = id &+ 1
                case 2: reply.sequence = seq &+ 100
                case 3: reply.source = "127.0.0.3"
                default: answered += 1
                }
                reply.frame = facts.icmpEchoes.count + 1
                facts.icmpEchoes.append(reply)
            }
            let wanted = Int.random(in: 1...4, using: &random)
            let verdict = Self.check("expect ping-answered \(wanted): x").evaluate(facts)
            XCTAssertEqual(verdict.passed, answered >= wanted, verdict.found)
            if requests > 0 {
                XCTAssertTrue(verdict.found.hasPrefix("\(requests) echo request"), verdict.found)
                XCTAssertTrue(verdict.found.contains("\(answered) answered"), verdict.found)
            }
        }
    }

    /// Chat rooms of 1–4 clients: each line is passed on whole, with its end lost, not at all, cut
    /// off by the end of the receiver's stream (no newline), or sent without its newline;
    /// `broadcast` counts exactly the lines that arrived whole elsewhere.
    func testBroadcastCountsWholeLinesOnly() {
        var random = SeededGenerator(state: 0xC4A7)
        for _ in 0..<Self.cases {
            let people = Int.random(in: 1...4, using: &random)
            var connections = (0..<people).map { index in
                CaptureFacts.Connection(stream: index, client: "127.0.0.1.\(50_000 + index)", server: "127.0.0.1.9200")
            }
            var delivered = 0, serial = 0
            // A line whose newline never came: the receiving connection ended inside it.
            var cutTail: [Int: [UInt8]] = [:]
            for index in 0..<people {
                let nickname = Array("n\(index)".utf8)
                var sent = nickname + [0x0A]
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    serial += 1
                    let line = Self.label(&random) + Array(" words \(serial)".utf8)
                    let framed = Array("[".utf8) + nickname + Array("] ".utf8) + line + [0x0A]
                    let unterminated = Int.random(in: 0..<6, using: &random) == 0
                    sent += line + (unterminated ? [] : [0x0A])
                    let other = people > 1 ? (index + Int.random(in: 1..<people, using: &random)) % people : nil
                    if let other, !unterminated {
                        switch Int.random(in: 0..<5, using: &random) {
                        case 0:
                            // Its end lost: another line, not this one.
                            connections[other].bytes[.server, default: []] += framed.dropLast(2) + [0x0A]
                        case 1: break
                        case 2: cutTail[other] = Array(framed.dropLast())
                        default:
                            connections[other].bytes[.server, default: []] += framed
                            delivered += 1
                        }
                    }
                    if unterminated { break }
                }
                connections[index].bytes[.client] = sent
            }
            for (index, tail) in cutTail { connections[index].bytes[.server, default: []] += tail }
            var facts = CaptureFacts()
            facts.connections = connections
            let wanted = Int.random(in: 1...3, using: &random)
            let verdict = Self.check("expect broadcast \(wanted): x").evaluate(facts)
            XCTAssertEqual(verdict.passed, delivered >= wanted, verdict.found)
            XCTAssertTrue(verdict.found.hasPrefix("\(delivered) of "), verdict.found)
        }
    }

    /// Connections on two ports, each closed first by the server (its port then in TIME-WAIT)
    /// or by the client, or refused, at random times: `address-reused` passes exactly when a
    /// handshake completed on a port within 60 s after a connection there left the server's
    /// side in TIME-WAIT.
    func testAddressReusedNeedsAHandshakeWithinTheServersTimeWait() {
        var random = SeededGenerator(state: 0x7E1)
        var outcomes: [Bool: Int] = [:]
        for _ in 0..<Self.cases {
            var connections: [CaptureFacts.Connection] = []
            var time = 0.0
            for stream in 0..<Int.random(in: 0...5, using: &random) {
                let port: UInt16 = Bool.random(using: &random) ? 9_100 : 9_101
                var connection = CaptureFacts.Connection(
                    stream: stream, client: "127.0.0.1.\(50_000 + stream)", server: "127.0.0.1.\(port)",
                    serverPort: port)
                time += [0.1, 1, 30, 59, 61, 90].randomElement(using: &random)!
                connection.start = time
                connection.end = time + 0.01
                connection.synSeen = true
                switch Int.random(in: 0..<3, using: &random) {
                case 0:
                    connection.reset = true
                    connection.clientStates = [.synSent, .closed]
                default:
                    connection.synAckSeen = true
                    connection.clientStates = [.synSent, .established]
                    connection.serverStates = [.listen, .synReceived, .established]
                    let serverFirst = Bool.random(using: &random)
                    connection.firstToClose = serverFirst ? .server : .client
                    if serverFirst {
                        connection.serverStates.insert(.timeWait)
                    } else {
                        connection.clientStates.insert(.timeWait)
                    }
                }
                connections.append(connection)
            }
            let expected = connections.contains { earlier in
                earlier.firstToClose == .server
                    && connections.contains { later in
                        later.stream > earlier.stream && later.serverPort == earlier.serverPort
                            && later.handshakeComplete
                            && later.start - earlier.end < 60
                    }
            }
            var facts = CaptureFacts()
            facts.connections = connections
            let verdict = Self.check("expect address-reused: x").evaluate(facts)
            XCTAssertEqual(verdict.passed, expected, verdict.found)
            outcomes[expected, default: 0] += 1
        }
        XCTAssertGreaterThan(outcomes[true] ?? 0, Self.cases / 10)
        XCTAssertGreaterThan(outcomes[false] ?? 0, Self.cases / 10)
    }

    /// `accept-queued` on captures whose story is known: lesson 11's serial server answers the
    /// queued request in time; lesson 4's threads server answers it at once (nothing queued);
    /// lesson 4's serial server answers only after the client gave up (queued, but too late).
    func testAcceptQueuedOnKnownCaptures() throws {
        let expected: [(String, Bool, String)] = [
            ("lesson-11-reuse.pcap", true, "held the server and was answered"),
            ("lesson-11-no-reuseaddr.pcap", true, "held the server and was answered"),
            ("lesson-04-concurrency.pcap", false, "no connection waited for another to end"),
            ("lesson-04-serial-timeout.pcap", false, "answered only after the client gave up"),
            ("lesson-08-handshake.pcap", false, "no connection waited for another to end"),
        ]
        for (name, passes, found) in expected {
            let facts = try CaptureFacts.read(Harness.root.appendingPathComponent("captures/" + name).path)
            let verdict = Self.check("expect accept-queued: x").evaluate(facts)
            XCTAssertEqual(verdict.passed, passes, "\(name): \(verdict.found)")
            XCTAssertTrue(verdict.found.contains(found), "\(name): \(verdict.found)")
        }
    }

    /// `--no-reuseaddr`: while the port has a connection in TIME-WAIT (the server closed first,
    /// after `Connection: close`), binding fails with EADDRINUSE (exit 69); with SO_REUSEADDR
    /// (the default) the restart works at once. When the client closes first (the echo server),
    /// the TIME-WAIT is on the client's port, and even `--no-reuseaddr` restarts at once.
    func testNoReuseAddressFailsWhileTheServerWaitsInTimeWait() throws {
        let site = Harness.root.appendingPathComponent("lessons/site").path
        let http = ["server", "http", "--root", site, "--quiet"]
        let first = try ServerProcess(http + ["--port", "0"])
        let port = first.port
        XCTAssertGreaterThan(port, 0, first.url)
        // HTTP/1.0: the server answers and closes; reading until its FIN makes it close first.
        let client = try Socket.connect(host: "127.0.0.1", port: port, timeout: 2)
        try client.sendAll(Array("GET / HTTP/1.0\r\n\r\n".utf8))
        let answer = try RawClient.readAll(client, seconds: 5)
        client.close()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), answer)
        XCTAssertEqual(first.stop(), 0)
        let refused = try Harness.run(http + ["--port", String(port), "--no-reuseaddr"], timeout: 10)
        XCTAssertEqual(refused.status, 69, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("EADDRINUSE"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("still in TIME-WAIT"), "the hint names the cause: \(refused.stderr)")
        let restarted = try ServerProcess(http + ["--port", String(port)])
        XCTAssertEqual(restarted.port, port)
        XCTAssertEqual(restarted.stop(), 0)

        let echo = try ServerProcess(["server", "echo", "--quiet", "--port", "0"])
        let echoPort = echo.port
        let socket = try Socket.connect(host: "127.0.0.1", port: echoPort, timeout: 2)
        try socket.sendAll(Array("hi\n".utf8))
        _ = try RawClient.readAll(socket, seconds: 0.3)
        socket.close()
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(echo.stop(), 0)
        let again = try ServerProcess(["server", "echo", "--quiet", "--port", String(echoPort), "--no-reuseaddr"])
        XCTAssertEqual(again.port, echoPort)
        XCTAssertEqual(again.stop(), 0)

        let bad = try Harness.run(["server", "http", "--backlog", "0"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
    }

    /// `--backlog N` reaches listen(2): `ss -ltn` reports it as the listener's Send-Q.
    func testBacklogIsTheListenersLimit() throws {
        let installed = ["/usr/bin/ss", "/bin/ss"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        guard installed else { throw XCTSkip("SKIPPED: ss (iproute2) is not installed") }
        let server = try ServerProcess([
            "server", "http", "--root", Harness.root.appendingPathComponent("lessons/site").path, "--quiet", "--port",
            "0", "--backlog", "3",
        ])
        defer { server.stop() }
        let ss = Process()
        ss.executableURL = URL(fileURLWithPath: "/bin/sh")
        ss.arguments = ["-c", "ss -Hltn 'sport = :\(server.port)'"]
        let pipe = Pipe()
        ss.standardOutput = pipe
        try ss.run()
        ss.waitUntilExit()
        let line = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        XCTAssertGreaterThanOrEqual(fields.count, 3, line)
        XCTAssertEqual(fields.count >= 3 ? String(fields[2]) : "", "3", line)
    }

    /// The facts the ping and DNS checks read, against tshark on the lessons' captures: every
    /// echo request and reply (frame, type, identifier, sequence), and every DNS query paired
    /// with the response tshark pairs it with (`dns.response_in`), with the same id and rcode,
    /// decoded on the lesson's port (`-d udp.port==P,dns`, as tcpdump would not).
    func testEchoesAndDNSExchangesAreTsharks() throws {
        guard let tshark = TCPAnalysisTestsPaths.tshark else {
            throw XCTSkip("SKIPPED: tshark is not installed (scripts/setup.sh installs it)")
        }
        func rows(_ arguments: [String]) throws -> [[String]] {
            try TCPAnalysisTestsPaths.run(tshark, arguments).split(separator: "\n").map {
                $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            }
        }
        var echoes = 0, exchanges = 0
        for name in ["lesson-13-ping.pcap", "lesson-13-ignored.pcap"] {
            let path = Harness.root.appendingPathComponent("captures/" + name).path
            let facts = try CaptureFacts.read(path)
            let fields = ["-e", "frame.number", "-e", "icmp.type", "-e", "icmp.ident", "-e", "icmp.seq"]
            let echo = try rows(["-n", "-r", path, "-Y", "icmp.type == 0 || icmp.type == 8", "-T", "fields"] + fields)
            XCTAssertEqual(facts.icmpEchoes.map(\.frame), echo.map { Int($0[0])! }, name)
            XCTAssertEqual(facts.icmpEchoes.map(\.isRequest), echo.map { $0[1] == "8" }, name)
            XCTAssertEqual(facts.icmpEchoes.map { String($0.identifier) }, echo.map { $0[2] }, name)
            XCTAssertEqual(facts.icmpEchoes.map { String($0.sequence) }, echo.map { $0[3] }, name)
            echoes += echo.count
        }
        for name in ["lesson-14-dns.pcap", "lesson-14-no-server.pcap"] {
            let path = Harness.root.appendingPathComponent("captures/" + name).path
            let facts = try CaptureFacts.read(path)
            let ours = Expectation.dnsExchanges(facts)
            let queryFrames = Set(ours.map(\.queryFrame))
            let ports = Set(facts.datagrams.filter { queryFrames.contains($0.frame) }.map(\.destinationPort))
            let decodeAs = ports.flatMap { ["-d", "udp.port==\($0),dns"] }
            let fields = [
                "-e", "frame.number", "-e", "dns.id", "-e", "dns.flags.response", "-e", "dns.flags.rcode", "-e",
                "dns.response_in",
            ]
            let dns = try rows(["-n", "-2", "-r", path, "-R", "dns"] + decodeAs + ["-T", "fields"] + fields)
            let queries = dns.filter { $0[2] == "0" || $0[2] == "False" }
            XCTAssertEqual(ours.map(\.queryFrame), queries.map { Int($0[0])! }, name)
            XCTAssertEqual(ours.map(\.responseFrame), queries.map { Int($0[4]) }, name)
            XCTAssertEqual(ours.map { String(format: "0x%04x", $0.query.identifier) }, queries.map { $0[1] }, name)
            for exchange in ours {
                guard let frame = exchange.responseFrame, let response = exchange.response else { continue }
                let row = try XCTUnwrap(dns.first { Int($0[0]) == frame }, name)
                XCTAssertEqual(String(response.rcode), row[3], name)
            }
            exchanges += ours.count
        }
        XCTAssertGreaterThan(echoes, 0)
        XCTAssertGreaterThan(exchanges, 0)
        print("\nPING AND DNS FACTS: \(echoes) echoes and \(exchanges) DNS queries, all as tshark reads them")
    }
}
