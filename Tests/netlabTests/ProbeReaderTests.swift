import Foundation
import Inspect
import Sockets
import TestSupport
import XCTest

@testable import Labs

/// The probe judges a server by the responses it reads, so its reader must get every response
/// right however the server's bytes are cut: generated sequences of responses (Content-Length,
/// chunked, HEAD, a last one ended by the close), sent in random pieces with pauses, must come
/// back with the status, body and framing the generator wrote. The generator's own values are
/// the reference. NETLAB_PROBE_CASES sets the count (default 300).
final class ProbeReaderTests: XCTestCase {
    struct Expected: Sendable {
        var method: String
        var status: Int
        var body: [UInt8]
        var framing: String
    }

    static func generate(_ generator: inout SeededGenerator) -> (bytes: [UInt8], responses: [Expected]) {
        var bytes: [UInt8] = []
        var responses: [Expected] = []
        let count = Int.random(in: 1...4, using: &generator)
        for index in 0..<count {
            let status = [200, 404, 301, 403][Int.random(in: 0..<4, using: &generator)]
            let body = (0..<Int.random(in: 0...3000, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            let head = Int.random(in: 0..<6, using: &generator) == 0
            let last = index == count - 1
            let kind =
                head
                ? 0
                : last && Int.random(in: 0..<4, using: &generator) == 0 ? 3 : Int.random(in: 1...2, using: &generator)
            var text = "HTTP/1.1 \(status) Reason \(index)\r\nContent-Type: application/octet-stream\r\n"
            switch kind {
            case 0, 1: text += "Content-Length: \(body.count)\r\n"
            case 2: text += "Transfer-Encoding: chunked\r\n"
            default: text += "Connection: close\r\n"
            }
            bytes += Array((text + "\r\n").utf8)
            switch kind {
            case 0: break
            case 2:
                var rest = body[...]
                while !rest.isEmpty {
                    let size = min(rest.count, Int.random(in: 1...700, using: &generator))
                    bytes += Array((String(size, radix: 16) + "\r\n").utf8) + rest.prefix(size) + [0x0D, 0x0A]
                    rest = rest.dropFirst(size)
                }
                bytes += Array("0\r\n\r\n".utf8)
            default: bytes += body
            }
            responses.append(
                Expected(
                    method: head ? "HEAD" : "GET", status: status, body: head ? [] : body,
                    framing: ["none", "contentLength", "chunked", "close"][kind]))
        }
        return (bytes, responses)
    }

    func testReaderGetsEveryResponseHoweverTheBytesAreCut() throws {
        let count = Int(ProcessInfo.processInfo.environment["NETLAB_PROBE_CASES"] ?? "") ?? 300
        var generator = SeededGenerator(state: 2026)
        var cases: [(pieces: [[UInt8]], responses: [Expected])] = []
        for _ in 0..<count {
            let (bytes, responses) = Self.generate(&generator)
            var pieces: [[UInt8]] = []
            var rest = bytes[...]
            while !rest.isEmpty {
                let size = min(rest.count, Int.random(in: 1...600, using: &generator))
                pieces.append(Array(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            cases.append((pieces, responses))
        }
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        let target = try HTTPURL.parse("http://127.0.0.1:\(listener.localPort)/")
        let allPieces = cases.map(\.pieces)
        let server = Thread {
            for pieces in allPieces {
                guard let client = try? listener.accept() else { return }
                client.setNoDelay()
                for (index, piece) in pieces.enumerated() {
                    try? client.sendAll(piece)
                    if index % 7 == 3 { Thread.sleep(forTimeInterval: 0.002) }
                }
                client.close()
            }
        }
        server.start()
        var disagreements: [String] = []
        for (index, test) in cases.enumerated() {
            let connection = try ProbeConnection(target, label: "case \(index)", timeout: 5)
            // As a pipelining client: every request sent (nothing here) before the answers are read.
            _ = connection.send([], expecting: test.responses.map(\.method))
            for (number, expected) in test.responses.enumerated() {
                let outcome = connection.readResponse(to: expected.method, deadline: Clock.now + 5)
                guard let response = outcome.response else {
                    disagreements.append("case \(index) response \(number): \(outcome.summary)")
                    break
                }
                let framing = "\(response.framing)"
                if response.status != expected.status || response.body != expected.body || framing != expected.framing {
                    disagreements.append(
                        "case \(index) response \(number): \(response.status) \(response.body.count) bytes \(framing), "
                            + "expected \(expected.status) \(expected.body.count) bytes \(expected.framing)")
                }
            }
            connection.close()
        }
        listener.close()
        XCTAssert(disagreements.isEmpty, "\(disagreements.count) disagreements: \(disagreements.prefix(10))")
        print(
            "probe reader: \(cases.count) connections, \(cases.map(\.responses.count).reduce(0, +)) responses, "
                + "\(cases.map(\.pieces.count).reduce(0, +)) pieces, \(disagreements.count) disagreements")
    }
}
