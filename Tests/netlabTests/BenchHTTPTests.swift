import Foundation
import ProcessControl
import Sockets
import XCTest

/// `netlab bench http` end to end: against netlab's four server models its count agrees with
/// what the server says it answered, and against servers that misbehave in one way each, that
/// way — and only that way — is what it reports.
final class BenchHTTPTests: XCTestCase {
    private struct Report: Decodable {
        var requests: UInt64
        var connections_opened: UInt64
        var status: [String: UInt64]
        var errors: [String: UInt64]
        var latency_us: [String: Double]
    }

    private func bench(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (
        Harness.Result, Report?
    ) {
        let result = try Harness.run(["bench", "http"] + arguments + ["--json"], timeout: 60)
        let report = try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
        return (result, report)
    }

    func testCountsAgreeWithEveryServerModel() throws {
        for model in ["serial", "fork", "threads", "events"] {
            let root = Harness.root.appendingPathComponent("lessons/site").path
            let server = try ServerProcess([
                "server", "http", "--root", root, "--port", "0", "--model", model, "--quiet",
            ])
            let connections = model == "serial" ? 1 : 8
            let (result, decoded) = try bench([server.url + "about.html", "-c", "\(connections)", "-d", "1"])
            server.stop()
            let report = try XCTUnwrap(decoded, "\(model): \(result.stderr)")
            XCTAssertEqual(result.status, 0, "\(model): \(result.stderr)")
            XCTAssertGreaterThan(report.requests, 20, model)
            XCTAssertEqual(report.status["2xx"], report.requests, model)
            XCTAssertEqual(report.errors.values.reduce(0, +), 0, "\(model): \(report.errors)")
            XCTAssertEqual(report.connections_opened, UInt64(connections), "\(model): keep-alive reuses connections")
            XCTAssertLessThanOrEqual(report.latency_us["p50"] ?? 0, report.latency_us["max"] ?? 0, model)
            guard model != "fork" else { continue }
            // The server answered every counted request, plus at most one in flight per connection
            // when time ran out (those are not counted, as in wrk).
            let summary = server.errors.snapshot.map(\.1).last { $0.contains("answered") } ?? ""
            let answered = summary.split(separator: ",").compactMap { part -> UInt64? in
                let words = part.split(separator: " ")
                guard words.count >= 3, words.contains("answered") else { return nil }
                return UInt64(words[words.count - 3])
            }.first
            let served = try XCTUnwrap(answered, "\(model): no answered count in '\(summary)'")
            XCTAssertGreaterThanOrEqual(served, report.requests, model)
            XCTAssertLessThanOrEqual(served, report.requests + UInt64(connections), model)
        }
    }

    func testNewConnectionPerRequestWithoutKeepAlive() throws {
        let root = Harness.root.appendingPathComponent("lessons/site").path
        let server = try ServerProcess([
            "server", "http", "--root", root, "--port", "0", "--model", "events", "--quiet",
        ])
        defer { server.stop() }
        let (result, decoded) = try bench([server.url, "-c", "4", "-d", "1", "--no-keepalive"])
        let report = try XCTUnwrap(decoded, result.stderr)
        XCTAssertGreaterThan(report.requests, 10)
        // Each request its own connection; up to one per connection was still open at the end.
        XCTAssertGreaterThanOrEqual(report.connections_opened, report.requests)
        XCTAssertLessThanOrEqual(report.connections_opened, report.requests + 4)
        XCTAssertEqual(report.errors.values.reduce(0, +), 0, "\(report.errors)")
    }

    /// Each broken server is caught as exactly one kind of error (or status class), nothing else.
    func testEachMisbehaviourIsReportedAsItsOwnKind() throws {
        let cases: [(ScriptedServer.Behaviour, expected: String)] = [
            (.silent, "timeout"),
            (.garbage, "protocol"),
            (.closeMidBody, "closed"),
            (.notFound, "4xx"),
            (.serverError, "5xx"),
        ]
        for (behaviour, expected) in cases {
            let server = try ScriptedServer(behaviour)
            // Only the silent server is about timeouts; the others answer at once, and a timeout
            // longer than the run keeps a loaded machine's slow answer from counting as one.
            let timeout = behaviour == .silent ? "0.3" : "2"
            let (result, decoded) = try bench(
                ["http://127.0.0.1:\(server.port)/", "-c", "3", "-d", "1", "--timeout", timeout])
            server.stop()
            let report = try XCTUnwrap(decoded, "\(behaviour): \(result.stderr)")
            let errorKinds = report.errors.filter { $0.value > 0 }.map(\.key).sorted()
            let statusClasses = report.status.filter { $0.value > 0 }.map(\.key).sorted()
            if expected.hasSuffix("xx") {
                XCTAssertEqual(errorKinds, [], "\(behaviour)")
                XCTAssertEqual(statusClasses, [expected], "\(behaviour)")
                XCTAssertEqual(result.status, 0, "\(behaviour): answered requests, however unsuccessful")
            } else {
                XCTAssertEqual(errorKinds, [expected], "\(behaviour): \(report.errors)")
                XCTAssertEqual(statusClasses, [], "\(behaviour)")
                XCTAssertEqual(report.requests, 0, "\(behaviour)")
                XCTAssertEqual(result.status, 75, "\(behaviour): nothing answered is a failure")
                XCTAssertTrue(result.stderr.contains("no request was answered"), result.stderr)
            }
        }
    }

    func testUnreachableServerAndBadArgumentsAreOneClearLine() throws {
        let unused = try Socket.listen()
        let port = unused.localPort
        unused.close()
        let refused = try Harness.run(["bench", "http", "http://127.0.0.1:\(port)/", "-d", "1"])
        XCTAssertEqual(refused.status, 69)
        XCTAssertTrue(refused.stderr.contains("cannot reach 127.0.0.1:\(port)"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("ECONNREFUSED"), refused.stderr)
        for arguments in [
            ["ftp://x/"], ["http://127.0.0.1:1/", "-c", "0"], ["http://127.0.0.1:1/", "-t", "5", "-c", "2"],
        ] {
            let bad = try Harness.run(["bench", "http"] + arguments)
            XCTAssertEqual(bad.status, 64, "\(arguments): \(bad.stderr)")
            XCTAssertFalse(bad.stderr.isEmpty)
        }
    }
}

/// A loopback server that misbehaves in one chosen way, a thread per connection; stopped by
/// closing its listener (connections end when their clients do, or after 2 s).
final class ScriptedServer: @unchecked Sendable {
    enum Behaviour: Sendable {
        case silent, garbage, closeMidBody, notFound, serverError
    }

    let listener: Socket
    let port: UInt16
    private let behaviour: Behaviour

    init(_ behaviour: Behaviour) throws {
        listener = try Socket.listen()
        port = listener.localPort
        self.behaviour = behaviour
        let listener = self.listener
        Threads.detach {
            while let connection = try? listener.accept() {
                Threads.detach { ScriptedServer.serve(connection, behaviour) }
            }
        }
    }

    private static func serve(_ connection: Socket, _ behaviour: Behaviour) {
        connection.setTimeout(seconds: 2)
        defer { connection.close() }
        let deadline = Clock.now + 3
        var pending: [UInt8] = []
        while Clock.now < deadline {
            guard let chunk = try? connection.receive(), !chunk.isEmpty else { return }
            pending += chunk
            // One response per complete request head.
            while let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
                pending.removeSubrange(..<end.upperBound)
                switch behaviour {
                case .silent: continue
                case .garbage:
                    try? connection.sendAll(Array("HTTP/1.1 2OO OK\r\n\r\n".utf8))
                    return
                case .closeMidBody:
                    try? connection.sendAll(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly some".utf8))
                    return
                case .notFound:
                    try? connection.sendAll(Array("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno".utf8))
                case .serverError:
                    try? connection.sendAll(Array("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n".utf8))
                }
            }
        }
    }

    func stop() {
        listener.shutdown(.both)
        listener.close()
    }
}
