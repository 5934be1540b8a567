import Capture
import Foundation
import Sockets
import XCTest

/// Captures on lo with the real binary while a client talks to a server on an ephemeral port.
/// Needs root or CAP_NET_RAW (CI runs as root); otherwise it is skipped and says why.
final class LiveCaptureTests: XCTestCase {
    func testHandshakeDataAndTeardownAppearWithinOneSecond() throws {
        try Harness.requireLiveCapture()
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        let port = listener.localPort
        let process = Process()
        process.executableURL = try Harness.netlab
        process.arguments = ["sniff", "lo", "tcp", "port", "\(port)"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let lines = LineCollector(), errors = LineCollector()
        lines.attach(out)
        errors.attach(err)
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        XCTAssertTrue(
            errors.wait(until: Date() + 10) { $0.contains { $0.1.hasPrefix("listening on lo") } },
            "netlab sniff did not start: \(errors.snapshot.map(\.1))")

        // A TCP exchange: connect, send, echo back, close from the client first.
        let server = Thread {
            guard let connection = try? listener.accept() else { return }
            connection.setTimeout(seconds: 2)
            if let data = try? connection.receive(), !data.isEmpty { try? connection.sendAll(data) }
            _ = try? connection.receive()  // wait for the client's FIN
            connection.close()
        }
        server.start()
        let client = try Socket.connect(host: "127.0.0.1", port: port)
        client.setTimeout(seconds: 2)
        try client.sendAll(Array("hello, netlab\n".utf8))
        XCTAssertEqual(try client.receive(), Array("hello, netlab\n".utf8))
        client.close()
        let trafficEnded = Date()

        let portText = ".\(port)"
        func seen(_ lines: [(Date, String)], _ predicate: (String) -> Bool) -> Bool {
            lines.contains { $0.1.contains(portText) && predicate($0.1) }
        }
        let kinds: [(String, (String) -> Bool)] = [
            ("SYN", { $0.contains("Flags [S],") }),
            ("SYN-ACK", { $0.contains("Flags [S.],") }),
            ("ACK", { $0.contains("Flags [.],") }),
            ("data", { $0.contains("Flags [P.]") && $0.contains("length 14") }),
            ("FIN or RST", { $0.contains("Flags [F.]") || $0.contains("Flags [R") }),
        ]
        let complete = lines.wait(until: trafficEnded + 1.0) { snapshot in
            kinds.allSatisfy { seen(snapshot, $0.1) }
        }
        let snapshot = lines.snapshot
        for (name, predicate) in kinds {
            XCTAssertTrue(
                seen(snapshot, predicate),
                "no \(name) line within 1 s of the traffic; got:\n"
                    + snapshot.map(\.1).joined(separator: "\n"))
        }
        XCTAssertTrue(complete)
        // Every line arrived within 1 s of the end of the exchange.
        for (time, line) in snapshot { XCTAssertLessThan(time.timeIntervalSince(trafficEnded), 1.0, line) }

        // SIGTERM stops it cleanly with tcpdump's summary.
        process.terminate()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        // The summary's lines come as sniff exits, "dropped by kernel" last: read the pipe to its end.
        errors.waitForEnd()
        XCTAssertTrue(
            errors.snapshot.contains { $0.1.contains("packets captured") },
            "no summary on stderr: \(errors.snapshot.map(\.1))")
        XCTAssertTrue(errors.snapshot.contains { $0.1.contains("dropped by kernel") })
        server.cancel()
    }

    func testTourRunsLiveWithExplanations() throws {
        try Harness.requireLiveCapture()
        let result = try Harness.run(["demo"], timeout: 30)  // the tour's old name still works
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("opens a connection: SYN"), result.stdout)
        XCTAssertTrue(result.stdout.contains("three-way handshake is complete"))
        XCTAssertTrue(result.stdout.contains("\"GET / HTTP/1.1\""))
        XCTAssertTrue(result.stdout.contains("\"HTTP/1.1 200 OK\""))
        XCTAssertTrue(result.stdout.contains("(FIN)"))
        XCTAssertTrue(result.stdout.contains("The client got \"HTTP/1.1 200 OK\""), result.stdout)
    }
}
