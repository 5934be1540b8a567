import Foundation
import Sockets
import Synchronization
import XCTest

/// `server http --workers N`: N event loops sharing one listener (the default) or each with its
/// own on the same port (`--accept reuseport`), all serving, and one summary that adds them up.
final class EventWorkersTests: XCTestCase {
    /// Listening sockets on `port` in /proc/net/tcp (state 0A = LISTEN).
    private func listeners(on port: UInt16) throws -> Int {
        let table = try String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)
        let local = String(format: ":%04X ", port)
        return table.split(separator: "\n").filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[1].hasSuffix(local.dropLast()) && fields[3] == "0A"
        }.count
    }

    func testSeveralEventLoopsShareThePortAndAllServe() throws {
        let site = try SiteDirectory()
        let server = try ServerProcess([
            "server", "http", "--root", site.path, "--port", "0", "--workers", "3", "--accept", "reuseport", "--quiet",
        ])
        XCTAssertEqual(try listeners(on: server.port), 3, "one listener per event loop")
        let requests = 300
        for index in 0..<requests {
            let response = try RawClient.exchange(
                port: server.port, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(RawClient.status(response), 200, "request \(index)")
            XCTAssertTrue(response.hasSuffix("hello, world\n"))
        }
        XCTAssertEqual(server.stop(), 0)
        let summary = try XCTUnwrap(server.errors.snapshot.map(\.1).last { $0.hasPrefix("stopped:") })
        XCTAssertTrue(summary.hasPrefix("stopped: \(requests) connections, \(requests) requests answered"), summary)
        let perLoop = try XCTUnwrap(summary.components(separatedBy: "per event loop: ").last)
            .components(separatedBy: ", ").compactMap { Int($0) }
        XCTAssertEqual(perLoop.count, 3, summary)
        XCTAssertEqual(perLoop.reduce(0, +), requests, summary)
        // The kernel spreads connections by a hash of their addresses: with 300 source ports
        // every loop gets some (the chance that one gets none is about 3 × (2/3)^300).
        XCTAssertTrue(perLoop.allSatisfy { $0 > 0 }, summary)
    }

    /// The default: one listening socket in all three loops' epoll sets. Clients from four
    /// threads at once are all answered, and the loops' counts add up to them.
    func testLoopsSharingOneListenerServeEveryClient() throws {
        let site = try SiteDirectory()
        let server = try ServerProcess([
            "server", "http", "--root", site.path, "--port", "0", "--workers", "3", "--quiet",
        ])
        XCTAssertEqual(try listeners(on: server.port), 1, "one listener for every loop")
        // Written to stderr before the URL went to stdout, but the two pipes are read apart:
        // wait for the line rather than expect it to be in already.
        XCTAssertTrue(
            server.errors.wait(until: Date() + 10) {
                $0.contains { $0.1.contains("3 event loops, one shared listener") }
            },
            "\(server.errors.snapshot)")
        let perThread = 75, port = server.port
        let answered = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<perThread {
                let response = try? RawClient.exchange(
                    port: port, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if let response, RawClient.status(response) == 200 { answered.withLock { $0 += 1 } }
            }
        }
        XCTAssertEqual(answered.withLock { $0 }, 4 * perThread)
        XCTAssertEqual(server.stop(), 0)
        let summary = try XCTUnwrap(server.errors.snapshot.map(\.1).last { $0.hasPrefix("stopped:") })
        XCTAssertTrue(
            summary.hasPrefix("stopped: \(4 * perThread) connections, \(4 * perThread) requests answered"), summary)
        let perLoop = try XCTUnwrap(summary.components(separatedBy: "per event loop: ").last)
            .components(separatedBy: ", ").compactMap { Int($0) }
        XCTAssertEqual(perLoop.count, 3, summary)
        XCTAssertEqual(perLoop.reduce(0, +), 4 * perThread, summary)
    }

    /// `--max-connections` counts every loop's connections together, in both accept modes: with
    /// three loops and a limit of 6, six idle connections are held wherever they landed (one
    /// loop may hold them all), the seventh gets 503, and a place freed anywhere is taken again.
    func testTheConnectionLimitIsForTheWholeServer() throws {
        let site = try SiteDirectory()
        for mode in ["shared", "reuseport"] {
            let server = try ServerProcess([
                "server", "http", "--root", site.path, "--port", "0", "--workers", "3", "--accept", mode,
                "--max-connections", "6", "--quiet",
            ])
            var held: [Socket] = []
            for _ in 0..<6 { held.append(try Socket.connect(host: "127.0.0.1", port: server.port, timeout: 2)) }
            // connect(2) returns once the kernel queued the connection; the loops accept it later
            // (much later on a loaded machine). Only accepted connections count against the limit.
            XCTAssertTrue(
                Harness.eventually { server.heldConnections == 6 }, "\(mode): \(server.heldConnections) accepted")
            let seventh = try RawClient.exchange(port: server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", readFor: 3)
            XCTAssertEqual(RawClient.status(seventh), 503, "\(mode): \(seventh)")
            // Every held connection is still served (none was refused to make room).
            try held[5].sendAll(Array("GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
            let response = try RawClient.readAll(held[5], seconds: 5, responses: 1, methods: ["GET"])
            XCTAssertEqual(RawClient.status(response), 200, "\(mode): \(response)")
            held[0].close()
            // held[5] asked for Connection: close; with held[0] gone too, four are left once the
            // loops have seen both ends.
            XCTAssertTrue(Harness.eventually { server.heldConnections == 4 }, "\(mode): \(server.heldConnections) held")
            let later = try RawClient.exchange(
                port: server.port, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(RawClient.status(later), 200, "\(mode): \(later)")
            for socket in held { socket.close() }
            XCTAssertEqual(server.stop(), 0)
            let summary = try XCTUnwrap(server.errors.snapshot.map(\.1).last { $0.hasPrefix("stopped:") })
            XCTAssertTrue(summary.contains(", 1 turned away (503)"), "\(mode): \(summary)")
        }
    }

    /// Clients that vanish mid-download or reset mid-request, spread over every loop by the
    /// kernel: each loop counts its own and goes on serving; nothing leaks.
    func testEveryLoopSurvivesClientsThatVanish() throws {
        let site = try SiteDirectory()
        let large = try site.addFile("large.bin", size: 8 << 20)
        let server = try ServerProcess([
            "server", "http", "--root", site.path, "--port", "0", "--workers", "2", "--quiet",
        ])
        let before = server.openDescriptors
        let rounds = 40
        for round in 0..<rounds {
            let socket = try HostileClient.connect(server.port)
            if round % 2 == 0 {
                // An aborted download: read a little of 8 MiB, then leave (close with unread bytes: RST).
                try socket.sendAll(Array("GET /\(large) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                _ = HostileClient.read(socket, atLeast: 1024, seconds: 5)
                HostileClient.reset(socket)
            } else {
                try socket.sendAll(Array("GET /hello.txt HTTP/1.1\r\nHo".utf8))
                HostileClient.reset(socket)
            }
        }
        for _ in 0..<20 {
            XCTAssertEqual(
                RawClient.status(
                    try RawClient.exchange(
                        port: server.port, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")), 200)
        }
        XCTAssertTrue(server.process.isRunning, "a vanished client ended the server")
        // Closed connections leave their loops within a sweep; a loaded CI machine (other test
        // processes on both cores) may take longer to schedule the loops, so wait up to 10 s.
        let started = Date()
        let deadline = started + 10
        while server.openDescriptors != before && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertEqual(
            server.openDescriptors, before, "descriptors leaked (after \(Date().timeIntervalSince(started)) s)")
        XCTAssertEqual(server.stop(), 0)
        let summary = try XCTUnwrap(server.errors.snapshot.map(\.1).last { $0.hasPrefix("stopped:") })
        XCTAssertTrue(summary.hasPrefix("stopped: \(rounds + 20) connections"), summary)
        XCTAssertGreaterThan(count(in: summary, before: "ended by the client"), 0, summary)
        XCTAssertFalse(server.errors.snapshot.contains { $0.1.hasPrefix("netlab:") }, "no error lines")
    }

    func testWorkersAreForTheEventsModelOnly() throws {
        for arguments in [
            ["--workers", "2", "--model", "threads"], ["--workers", "0"], ["--workers", "1000"],
            ["--accept", "reuseport"],
        ] {
            let result = try Harness.run(["server", "http", "--port", "0"] + arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("--workers"), result.stderr)
        }
    }
}
