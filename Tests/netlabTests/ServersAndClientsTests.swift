import Foundation
import Sockets
import XCTest

/// The echo and chat servers and the clients, run as the real binary on loopback.
final class ServersAndClientsTests: XCTestCase {
    /// Reads lines from a socket on a background thread, so a test can wait for one.
    final class LineReader: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        private var pending: [UInt8] = []
        private(set) var closed = false

        init(_ socket: Socket) {
            Thread.detachNewThread { [self] in
                while true {
                    guard let chunk = try? socket.receive(), !chunk.isEmpty else { break }
                    lock.withLock {
                        pending += chunk
                        while let newline = pending.firstIndex(of: 0x0A) {
                            lines.append(String(decoding: pending[..<newline], as: UTF8.self))
                            pending.removeSubrange(...newline)
                        }
                    }
                }
                lock.withLock { closed = true }
            }
        }

        var snapshot: [String] { lock.withLock { lines } }
        var isClosed: Bool { lock.withLock { closed } }

        @discardableResult
        func wait(for text: String, seconds: Double = 5) -> Bool {
            let deadline = Date() + seconds
            while Date() < deadline {
                if snapshot.contains(where: { $0.contains(text) }) { return true }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return false
        }
    }

    func testEchoServerOverTCPAndUDPWithTheTCPClient() throws {
        let tcp = try ServerProcess(["server", "echo", "--port", "0"])
        defer { tcp.stop() }
        XCTAssertTrue(tcp.firstLine.hasPrefix("127.0.0.1:"), tcp.firstLine)
        // The client sends stdin, half-closes at its end, and prints what comes back.
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-echo-\(UUID()).txt")
        try Data("line one\nline two\n".utf8).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let client = try runWithInput(["client", "tcp", "127.0.0.1", String(tcp.port)], input: input)
        XCTAssertEqual(client.status, 0, client.stderr)
        XCTAssertEqual(client.stdout, "line one\nline two\n")
        XCTAssertTrue(client.stderr.contains("connected to 127.0.0.1:\(tcp.port)"), client.stderr)
        XCTAssertTrue(client.stderr.contains("sent 18 bytes, received 18"), client.stderr)

        // Two clients at once: one idle connection does not block another.
        let idle = try Socket.connect(host: "127.0.0.1", port: tcp.port, timeout: 2)
        let busy = try Socket.connect(host: "127.0.0.1", port: tcp.port, timeout: 2)
        try busy.sendAll(Array("ping".utf8))
        XCTAssertEqual(
            String(decoding: try RawClient.readAll(busy, seconds: 2, responses: nil).utf8, as: UTF8.self).prefix(4),
            "ping")
        idle.close()

        let udp = try ServerProcess(["server", "echo", "--port", "0", "--udp"])
        defer { udp.stop() }
        let socket = try Socket(.udp, family: .inet)
        let server = try XCTUnwrap(SocketAddress(numeric: "127.0.0.1", port: udp.port))
        for message in ["a", "bb", "ccc"] { try socket.send(Array(message.utf8), to: server) }
        var replies: [String] = []
        for _ in 0..<3 {
            XCTAssertTrue(try socket.wait(for: .readable, timeout: 2))
            replies.append(String(decoding: try socket.receiveFrom().bytes, as: UTF8.self))
        }
        XCTAssertEqual(replies, ["a", "bb", "ccc"], "each datagram comes back whole")
        XCTAssertEqual(udp.stop(), 0)
        XCTAssertTrue(udp.errors.snapshot.contains { $0.1.contains("sent 2 bytes, echoed") })
    }

    func testChatRoom() throws {
        let chat = try ServerProcess(["server", "chat", "--port", "0", "--max-queued", "4096"])
        defer { chat.stop() }
        func join(_ name: String, smallBuffer: Bool = false) throws -> (Socket, LineReader?) {
            let socket = try Socket.connect(host: "127.0.0.1", port: chat.port, timeout: 2)
            try socket.sendAll(Array("\(name)\n".utf8))
            return (socket, smallBuffer ? nil : LineReader(socket))
        }
        let (alice, aliceLines) = try join("alice")
        XCTAssertTrue(aliceLines!.wait(for: "* hello alice. Here: nobody else yet"), "\(aliceLines!.snapshot)")
        let (bob, bobLines) = try join("bob")
        XCTAssertTrue(bobLines!.wait(for: "* hello bob. Here: alice"), "\(bobLines!.snapshot)")
        XCTAssertTrue(aliceLines!.wait(for: "* bob joined"))

        let (taken, takenLines) = try join("alice")
        XCTAssertTrue(takenLines!.wait(for: "* alice is taken"), "\(takenLines!.snapshot)")
        try taken.sendAll(Array("bad name!\n".utf8))
        XCTAssertTrue(takenLines!.wait(for: "* nicknames are 1-20 letters"))
        taken.close()

        try alice.sendAll(Array("hello bob\n".utf8))
        XCTAssertTrue(bobLines!.wait(for: "[alice] hello bob"), "\(bobLines!.snapshot)")
        try bob.sendAll(Array("/who\n".utf8))
        XCTAssertTrue(bobLines!.wait(for: "* 2 here: alice, bob"), "\(bobLines!.snapshot)")
        try bob.sendAll(Array((String(repeating: "x", count: 2000) + "\n").utf8))
        XCTAssertTrue(bobLines!.wait(for: "* line too long"))

        // carol joins and never reads: once 4 KiB wait for her she is dropped; the others go on.
        let carol = try Socket(.tcp, family: .inet)
        carol.setOption(level: SOL_SOCKET, name: SO_RCVBUF, value: 4096)
        try carol.connect(to: SocketAddress(numeric: "127.0.0.1", port: chat.port)!, timeout: 2)
        try carol.sendAll(Array("carol\n".utf8))
        XCTAssertTrue(aliceLines!.wait(for: "* carol joined"))
        let line = String(repeating: "y", count: 1000) + "\n"
        var dropped = false
        for round in 0..<20_000 where !dropped {
            try alice.sendAll(Array(line.utf8))
            if round % 500 == 499 {
                dropped = bobLines!.wait(for: "* carol was disconnected (not reading)", seconds: 0.05)
            }
        }
        XCTAssertTrue(bobLines!.wait(for: "* carol was disconnected (not reading)"), "the slow reader was not dropped")
        try alice.sendAll(Array("still here\n".utf8))
        XCTAssertTrue(bobLines!.wait(for: "[alice] still here"))

        try bob.sendAll(Array("/quit\n".utf8))
        XCTAssertTrue(bobLines!.wait(for: "* bye"))
        XCTAssertTrue(aliceLines!.wait(for: "* bob left"))
        _ = carol
        XCTAssertEqual(chat.stop(), 0)
        XCTAssertTrue(chat.errors.snapshot.contains { $0.1.contains("dropped") }, "\(chat.errors.snapshot.map(\.1))")
    }

    func testHTTPClientDecodesChunkedAndReportsErrors() throws {
        // A one-shot server that answers with a chunked body.
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        let port = listener.localPort
        let served = Thread {
            guard let connection = try? listener.accept() else { return }
            _ = try? connection.receive()
            try? connection.sendAll(
                Array(
                    ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").utf8))
            connection.close()
        }
        served.start()
        let fetched = try Harness.run(["client", "http", "http://127.0.0.1:\(port)/x", "--show-request"])
        XCTAssertEqual(fetched.status, 0, fetched.stderr)
        XCTAssertTrue(
            fetched.stdout.hasPrefix("> GET /x HTTP/1.1\\r\\n\n> Host: 127.0.0.1:\(port)\\r\\n\n"), fetched.stdout)
        XCTAssertTrue(fetched.stdout.contains("HTTP/1.1 200 OK\nContent-Type: text/plain\n"), fetched.stdout)
        XCTAssertTrue(fetched.stdout.hasSuffix("\n\nhello world"), fetched.stdout)
        XCTAssertTrue(fetched.stderr.contains("body 11 bytes (chunked, decoded)"), fetched.stderr)

        let site = try SiteDirectory()
        let server = try ServerProcess(["server", "http", "--root", site.path, "--port", "0", "-q"])
        defer { server.stop() }
        let raw = try Harness.run(["client", "http", server.url + "hello.txt", "--raw"])
        XCTAssertTrue(raw.stdout.hasPrefix("HTTP/1.1 200 OK\r\n"), raw.stdout)
        XCTAssertTrue(raw.stdout.hasSuffix("\r\n\r\nhello, world\n"), raw.stdout)
        let head = try Harness.run(["client", "http", server.url + "big.bin", "--head"])
        XCTAssertTrue(head.stdout.contains("Content-Length: 300000"), head.stdout)
        XCTAssertTrue(head.stdout.hasSuffix("\n\n"), "HEAD has no body")
        let posted = try Harness.run(["client", "http", server.url, "--data", "a=1"])
        XCTAssertTrue(posted.stdout.hasPrefix("HTTP/1.1 405"), posted.stdout)

        let probe = try Socket.listen(host: "127.0.0.1", port: 0)
        let closedPort = probe.localPort
        probe.close()
        let refused = try Harness.run(["client", "http", "http://127.0.0.1:\(closedPort)/"])
        XCTAssertEqual(refused.status, 69)
        XCTAssertTrue(refused.stderr.contains("ECONNREFUSED"), refused.stderr)
        let silent = try Socket.listen(host: "127.0.0.1", port: 0)  // accepts (backlog), never answers
        let timedOut = try Harness.run(["client", "http", "http://127.0.0.1:\(silent.localPort)/", "--timeout", "1"])
        XCTAssertEqual(timedOut.status, 75, timedOut.stderr)
        XCTAssertTrue(timedOut.stderr.contains("ETIMEDOUT"), timedOut.stderr)
        let unknown = try Harness.run(["client", "http", "http://no-such-host.invalid/"])
        XCTAssertEqual(unknown.status, 68, unknown.stderr)
        let https = try Harness.run(["client", "http", "https://example.com/"])
        XCTAssertEqual(https.status, 64)
        XCTAssertEqual(https.stderr.split(separator: "\n").count, 1)
    }

    func testResolve() throws {
        let result = try Harness.run(["resolve", "127.0.0.1", "80", "--type", "any"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("AF_INET   SOCK_STREAM  tcp   127.0.0.1:80"), result.stdout)
        XCTAssertTrue(result.stdout.contains("AF_INET   SOCK_DGRAM   udp   127.0.0.1:80"), result.stdout)
        let missing = try Harness.run(["resolve", "no-such-host.invalid"])
        XCTAssertEqual(missing.status, 68)
        XCTAssertTrue(missing.stderr.hasPrefix("netlab: getaddrinfo no-such-host.invalid"), missing.stderr)
    }

    /// Runs netlab with a file as standard input.
    func runWithInput(_ arguments: [String], input: URL) throws -> Harness.Result {
        let process = Process()
        process.executableURL = try Harness.netlab
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: input)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Harness.Result(
            status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
            stderr: String(decoding: errors, as: UTF8.self))
    }
}
