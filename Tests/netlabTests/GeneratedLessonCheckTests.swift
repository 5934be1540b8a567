import Foundation
import Inspect
import Labs
import Sockets
import TestSupport
import XCTest

/// Generated facts and mutated captures against the content checks: each case knows, from how
/// it was made, whether the check must pass (an echo made whole, a file framed whole, a relay
/// that dropped k datagrams), and every case must get that verdict.
final class GeneratedLessonCheckTests: XCTestCase {
    static var cases: Int { ProcessInfo.processInfo.environment["NETLAB_LONG_TESTS"] == nil ? 3_000 : 100_000 }

    static func check(_ line: String) -> Expectation { Expectation(line: line)! }

    static func bytes(_ count: Int, _ random: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    static func facts(client: [UInt8], server: [UInt8], gap: Int = 0, reset: Bool = false) -> CaptureFacts {
        var connection = CaptureFacts.Connection(stream: 0, client: "127.0.0.1.50000", server: "127.0.0.1.7000")
        connection.bytes = [.client: client, .server: server]
        if gap > 0 { connection.gapBytes[.server] = gap }
        connection.finFrom = reset ? [.client] : [.client, .server]
        connection.reset = reset
        var facts = CaptureFacts()
        facts.connections = [connection]
        return facts
    }

    /// An echo passes exactly when the bytes back are the bytes sent, with no hole.
    func testEchoCheckFlipsOnEveryMutation() {
        var random = SeededGenerator(state: 0xEC40)
        let echoed = Self.check("expect echoed: x")
        var counts: [String: Int] = [:]
        for _ in 0..<Self.cases {
            let sent = Self.bytes(Int.random(in: 1...300, using: &random), &random)
            var back = sent
            var gap = 0
            let mutation = ["none", "drop tail", "flip byte", "extra", "hole", "swap"].randomElement(using: &random)!
            switch mutation {
            case "drop tail": back.removeLast(Int.random(in: 1...back.count, using: &random))
            case "flip byte":
                back[Int.random(in: 0..<back.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            case "extra": back += Self.bytes(Int.random(in: 1...10, using: &random), &random)
            case "hole": gap = Int.random(in: 1...50, using: &random)
            case "swap":
                // Reordered bytes: only a mutation when the two differ.
                let i = Int.random(in: 0..<back.count, using: &random),
                    j = Int.random(in: 0..<back.count, using: &random)
                back.swapAt(i, j)
            default: break
            }
            let whole = back == sent && gap == 0
            let verdict = echoed.evaluate(Self.facts(client: sent, server: back, gap: gap))
            XCTAssertEqual(verdict.passed, whole, "\(mutation): \(verdict.found)")
            if !whole && mutation == "drop tail" {
                XCTAssertTrue(verdict.found.contains("the echo stops after byte \(back.count)"), verdict.found)
            }
            counts[mutation + (whole ? " (still whole)" : ""), default: 0] += 1
        }
        print("\nGENERATED ECHO CASES: \(counts.sorted { $0.key < $1.key })")
    }

    /// send-file's framing: whole exactly when the length, header, body and hash all agree
    /// and the receiver said ok; every cut, extra or damaged byte flips it.
    func testFileFramingFlipsOnEveryMutation() {
        var random = SeededGenerator(state: 0xF11E)
        let framed = Self.check("expect framed file: x")
        var counts: [String: Int] = [:]
        for index in 0..<Self.cases {
            let body = Self.bytes(Int.random(in: 0...2_000, using: &random), &random)
            var hash = SHA256()
            hash.update(body)
            let digest = SHA256.hex(hash.finish())
            let header = FlatJSON([
                ("name", .string("f\(index).bin")), ("size", .integer(body.count)), ("sha256", .string(digest)),
            ])
            var stream = Framing.length.encode(Array(header.encoded.utf8)) + body
            var reply = Framing.length.encode(
                Array(FlatJSON([("ok", .bool(true)), ("sha256", .string(digest))]).encoded.utf8))
            let mutation = ["none", "cut body", "extra", "flip body", "huge length", "cut header", "refused"]
                .randomElement(using: &random)!
            var whole = true
            switch mutation {
            case "cut body" where !body.isEmpty: stream.removeLast(Int.random(in: 1...body.count, using: &random))
            case "extra": stream += Self.bytes(Int.random(in: 1...20, using: &random), &random)
            case "flip body" where !body.isEmpty:
                stream[stream.count - 1 - Int.random(in: 0..<body.count, using: &random)] ^= 0x5A
            case "huge length": stream[0] = UInt8.random(in: 1...255, using: &random)
            case "cut header":
                stream = Array(stream.prefix(Int.random(in: 0..<(4 + header.encoded.utf8.count), using: &random)))
            case "refused":
                reply = Framing.length.encode(
                    Array(FlatJSON([("ok", .bool(false)), ("error", .string("no"))]).encoded.utf8))
            case "none": break
            default: whole = true
            }
            if mutation != "none" && !(["cut body", "flip body"].contains(mutation) && body.isEmpty) { whole = false }
            let verdict = framed.evaluate(Self.facts(client: stream, server: reply))
            XCTAssertEqual(verdict.passed, whole, "\(mutation) (body \(body.count)): \(verdict.found)")
            counts[mutation, default: 0] += 1
        }
        print("\nGENERATED FILE FRAMING CASES: \(counts.sorted { $0.key < $1.key })")
    }

    /// The stick demo's framings: messages made by Sockets' encoder are whole; an unfinished
    /// last message (its tail cut) is not.
    func testMessageFramingFlipsWhenTheLastMessageIsUnfinished() {
        var random = SeededGenerator(state: 0x57C4)
        var counts: [String: Int] = [:]
        for _ in 0..<Self.cases {
            let scheme = [Framing.length, .jsonHeader, .delimiter].randomElement(using: &random)!
            let check = Self.check("expect framed \(scheme.rawValue): x")
            var stream: [UInt8] = []
            var boundaries: Set<Int> = []
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                // Delimited messages cannot hold the delimiter, and an empty one is no message.
                var message = Self.bytes(Int.random(in: 1...60, using: &random), &random)
                if scheme == .delimiter { message = message.map { $0 == 0x0A ? 0x41 : $0 } }
                stream += scheme.encode(message)
                boundaries.insert(stream.count)
            }
            // A cut that lands on a boundary drops whole messages and leaves the rest whole.
            let cut = Bool.random(using: &random) ? Int.random(in: 1...3, using: &random) : 0
            let whole = boundaries.contains(stream.count - cut)
            let verdict = check.evaluate(Self.facts(client: Array(stream.dropLast(cut)), server: []))
            XCTAssertEqual(verdict.passed, whole, "\(scheme) cut \(cut): \(verdict.found)")
            counts["\(scheme.rawValue) \(cut == 0 ? "whole" : whole ? "cut at a boundary" : "cut")", default: 0] += 1
        }
        print("\nGENERATED MESSAGE FRAMING CASES: \(counts.sorted { $0.key < $1.key })")
    }

    /// Datagrams to random ports, some of them refused: the open-port count and the relay's
    /// losses are counted independently here, from how the datagrams were made.
    func testDatagramChecksCountWhatWasMade() {
        var random = SeededGenerator(state: 0x0D9)
        for _ in 0..<Self.cases {
            var facts = CaptureFacts()
            var perPort: [UInt16: Int] = [:]
            let ports: [UInt16] = (0..<Int.random(in: 1...4, using: &random)).map { UInt16(40_000 + $0) }
            let refused = Set(ports.filter { _ in Bool.random(using: &random) })
            for frame in 0..<Int.random(in: 0...12, using: &random) {
                let port = ports.randomElement(using: &random)!
                facts.datagrams.append(
                    Datagram(frame: frame, sourcePort: 50_000, destinationPort: port, payload: [UInt8(frame)]))
                perPort[port, default: 0] += 1
                if refused.contains(port) { facts.unreachablePorts.append(port) }
            }
            let wanted = Int.random(in: 1...4, using: &random)
            let best = perPort.filter { !refused.contains($0.key) }.values.max() ?? 0
            let open = Self.check("expect udp-to-open-port \(wanted): x").evaluate(facts)
            XCTAssertEqual(open.passed, best >= wanted, open.found)

            // A relay: n datagrams into port 9000; each dropped, forwarded once, or duplicated.
            var relay = CaptureFacts()
            let n = Int.random(in: 1...40, using: &random)
            var dropped = 0
            for sequence in 0..<n {
                let payload = [UInt8(sequence >> 8), UInt8(sequence & 0xFF)] + Self.bytes(6, &random)
                relay.datagrams.append(Datagram(frame: 0, sourcePort: 50_000, destinationPort: 9_000, payload: payload))
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<2: dropped += 1
                case 2:
                    relay.datagrams += Array(
                        repeating: Datagram(frame: 0, sourcePort: 9_001, destinationPort: 9_002, payload: payload),
                        count: 2)
                default:
                    relay.datagrams.append(
                        Datagram(frame: 0, sourcePort: 9_001, destinationPort: 9_002, payload: payload))
                }
            }
            let lost = Self.check("expect udp-lost \(wanted): x").evaluate(relay)
            if dropped == n {
                XCTAssertFalse(lost.passed, "nothing forwarded: no relay to see: \(lost.found)")
            } else {
                XCTAssertEqual(lost.passed, dropped >= wanted, lost.found)
                XCTAssertTrue(lost.found.contains("\(n) different datagrams into the relay"), lost.found)
                XCTAssertTrue(lost.found.contains("\(dropped) lost"), lost.found)
            }
        }
    }

    /// Random HTTP conversations fed through netlab's own HTTP tracking: `http-exchange` passes
    /// exactly when some connection's k-th request is the one named and its k-th response has
    /// the status named; `keep-alive` exactly when a connection had two requests answered.
    func testExchangeAndKeepAliveChecksPairRequestsWithResponses() {
        var random = SeededGenerator(state: 0x4770)
        let methods = ["GET", "DELETE", "delete"], targets = ["/", "/nope", "/notes.txt"]
        let statuses = [200, 404, 405, 501]
        var passed = 0
        for _ in 0..<Self.cases {
            var facts = CaptureFacts()
            var pairs: [(method: String, target: String, status: Int?)] = []
            var mostAnswered = 0
            for stream in 0..<Int.random(in: 1...3, using: &random) {
                var conversation = HTTPConversation(stream: stream)
                let count = Int.random(in: 1...3, using: &random), answered = Int.random(in: 0...count, using: &random)
                mostAnswered = max(mostAnswered, answered)
                var frame = 1
                for index in 0..<count {
                    let method = methods.randomElement(using: &random)!, target = targets.randomElement(using: &random)!
                    let status = statuses.randomElement(using: &random)!
                    let request = "\(method) \(target) HTTP/1.1\r\nHost: lab\r\n\r\n"
                    facts.http += conversation.add(Array(request.utf8), role: .client, frame: frame)
                    frame += 1
                    pairs.append((method, target, index < answered ? status : nil))
                    guard index < answered else { continue }
                    let response = "HTTP/1.1 \(status) Reason\r\nContent-Length: 0\r\n\r\n"
                    facts.http += conversation.add(Array(response.utf8), role: .server, frame: frame)
                    frame += 1
                }
                facts.http += conversation.finish(frame: frame)
            }
            // Half the time ask about a request that was sent, so both verdicts come up often.
            var (method, target) = (methods.randomElement(using: &random)!, targets.randomElement(using: &random)!)
            if Bool.random(using: &random), let sent = pairs.randomElement(using: &random) {
                (method, target) = (sent.method, sent.target)
            }
            let status = statuses.randomElement(using: &random)!
            let exchange = Self.check("expect http-exchange \(method) \(target) \(status): x").evaluate(facts)
            let expected = pairs.contains { $0.method == method && $0.target == target && $0.status == status }
            XCTAssertEqual(exchange.passed, expected, "\(method) \(target) \(status) in \(pairs): \(exchange.found)")
            let keepAlive = Self.check("expect keep-alive: x").evaluate(facts)
            XCTAssertEqual(keepAlive.passed, mostAnswered >= 2, keepAlive.found)
            if exchange.passed { passed += 1 }
        }
        print("\nGENERATED HTTP EXCHANGES: \(Self.cases) cases, \(passed) with the named exchange")
        XCTAssertGreaterThan(passed, Self.cases / 20)
    }
}
