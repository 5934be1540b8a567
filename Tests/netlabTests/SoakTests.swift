import Foundation
import Sockets
import Synchronization
import TestSupport
import XCTest

/// Soak: per model, thousands of mixed client actions from concurrent clients (threads in this
/// process) — good ones and every way of misbehaving — against one `netlab server http`. Then
/// the server must answer a normal GET, be the same running process, have no zombie children
/// and exactly the descriptors it had before; every action must have got the answer it should.
/// NETLAB_SOAK_ACTIONS sets the number of actions per model (default 2000), NETLAB_SOAK_SEED
/// the seed (default 1, printed). The table of counts goes to the test output.
final class SoakTests: XCTestCase {
    static let requestTimeout = 0.5
    static let idleTimeout = 0.5

    enum Action: String, CaseIterable {
        case get = "normal GETs (keep-alive)"
        case abortedDownload = "aborted download (8 MB)"
        case resetMidRequest = "RST mid-request"
        case halfCloseMidRequest = "half-close mid-request"
        case cutUpload = "upload body cut"
        case continueThenVanish = "gone after 100-continue"
        case pipelinedCut = "pipelined burst cut"
        case oversizedHead = "oversized head (431)"
        case slowloris = "slowloris head (408)"
        case idleKeepAlive = "idle keep-alive (closed)"

        /// Out of 1000. Slow actions (they hold a connection for a timeout) are rarer, and rarer
        /// still in the serial model, where they hold up every other client as well.
        func weight(serial: Bool) -> Int {
            switch self {
            case .get: 280
            case .abortedDownload: 120
            case .resetMidRequest: 120
            case .halfCloseMidRequest: 80
            case .cutUpload: 90
            case .continueThenVanish: 70
            case .pipelinedCut: 130
            case .oversizedHead: 60
            case .slowloris, .idleKeepAlive: serial ? 5 : 15
            }
        }

        /// How the client really leaves, given the departure drawn for it.
        func departure(_ drawn: Departure) -> Departure {
            switch self {
            // After complete answers a half-close is just a close; a download cut short is never tidy.
            case .get, .abortedDownload, .oversizedHead: drawn == .halfClose ? .close : drawn
            case .resetMidRequest: .reset
            case .halfCloseMidRequest: .halfClose
            // The server ends these (408, idle timeout); the client closes after it.
            case .slowloris, .idleKeepAlive: .close
            case .cutUpload, .continueThenVanish, .pipelinedCut: drawn
            }
        }

        /// Whether the server must count this connection as ended by its client (a reset or a
        /// broken pipe while it still held the connection): nil when that depends on timing.
        func clientGone(_ departure: Departure) -> Bool? {
            switch (self, departure) {
            case (.abortedDownload, _), (.resetMidRequest, _): true
            case (.get, .reset), (.cutUpload, .reset), (.continueThenVanish, .reset), (.pipelinedCut, .reset): true
            // Closing with answers unread sends RST: counted if the server was still writing or
            // reading then, not if it had already seen the end of the stream.
            case (.pipelinedCut, .close): nil
            // After 431 the server lingers to let the client read it: a reset then is expected.
            default: false
            }
        }
    }

    struct Tally {
        var counts: [Action: Int] = [:]
        var departures: [Departure: Int] = [:]
        /// Connections the server must count as ended by the client, and those that may be.
        var mustBeGone = 0
        var mayBeGone = 0
        /// Actions that did not get the answer they should, with what happened instead.
        var disagreements: [String] = []
        var done = 0
    }

    static let get = "GET /hello.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: netlab-soak\r\n\r\n"

    /// One action on a fresh connection. Returns nil when the server behaved as it must, else
    /// what it did instead.
    static func perform(
        _ action: Action, port: UInt16, departure: Departure, generator: inout SeededGenerator
    ) -> String? {
        let socket: Socket
        do {
            socket = try HostileClient.connect(port)
        } catch {
            return "connect failed: \(error)"
        }
        defer { socket.close() }
        do {
            let departure = action.departure(departure)
            switch action {
            case .get:
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    if let problem = HostileClient.get(socket) { return problem }
                }
                HostileClient.leave(socket, departure)
            case .abortedDownload:
                try socket.sendAll(Array("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                let wanted = Int.random(in: 1...256 * 1024, using: &generator)
                let head = HostileClient.read(socket, atLeast: wanted, seconds: 5)
                guard head.starts(with: Array("HTTP/1.1 200 OK\r\n".utf8)) else {
                    return "download began with \(String(decoding: head.prefix(40), as: UTF8.self).debugDescription)"
                }
                // Closing with unread bytes sends RST too.
                HostileClient.leave(socket, departure)
            case .resetMidRequest:
                let request = Array(get.utf8)
                try socket.sendAll(Array(request[..<Int.random(in: 1..<request.count, using: &generator)]))
                HostileClient.leave(socket, .reset)
            case .halfCloseMidRequest:
                let request = Array(get.utf8)
                try socket.sendAll(Array(request[..<Int.random(in: 1..<request.count, using: &generator)]))
                let (bytes, ended) = HostileClient.leave(socket, .halfClose)
                if !bytes.isEmpty || !ended { return "half-closed mid-request: \(describe(bytes, ended))" }
            case .cutUpload:
                let size = 100_000
                try socket.sendAll(Array("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n".utf8))
                try socket.sendAll([UInt8](repeating: 0x61, count: Int.random(in: 0..<size, using: &generator)))
                let (bytes, ended) = HostileClient.leave(socket, departure)
                if departure == .halfClose && (!bytes.isEmpty || !ended) {
                    return "upload cut by a half-close: \(describe(bytes, ended))"
                }
            case .continueThenVanish:
                try socket.sendAll(
                    Array(
                        "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n".utf8))
                let interim = HostileClient.read(socket, until: "\r\n\r\n", seconds: 5)
                guard interim == "HTTP/1.1 100 Continue\r\n\r\n" else {
                    return "expected 100 Continue, got \(interim.prefix(60).debugDescription)"
                }
                let (bytes, ended) = HostileClient.leave(socket, departure)
                if departure == .halfClose && (!bytes.isEmpty || !ended) {
                    return "half-closed after 100-continue: \(describe(bytes, ended))"
                }
            case .pipelinedCut:
                let burst = Array(String(repeating: get, count: Int.random(in: 2...8, using: &generator)).utf8)
                let prefix = burst[..<Int.random(in: 1..<burst.count, using: &generator)]
                try socket.sendAll(Array(prefix))
                let (bytes, ended) = HostileClient.leave(socket, departure)
                if departure == .halfClose {
                    // Every complete request in the prefix is answered, in order; then the server closes.
                    let text = String(decoding: bytes, as: UTF8.self)
                    let expected = [Int](repeating: 200, count: HostileClient.completeRequests(prefix))
                    if RawClient.statuses(text) != expected || !ended {
                        return "burst cut after \(expected.count) requests: \(describe(bytes, ended))"
                    }
                }
            case .oversizedHead:
                let head = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 40_000))\r\n\r\n"
                try socket.sendAll(Array(head.utf8))
                let text = try RawClient.readAll(socket, seconds: 5, responses: 1)
                if RawClient.status(text) != 431 {
                    return "oversized head answered \(text.prefix(60).debugDescription)"
                }
                HostileClient.leave(socket, departure)
            case .slowloris:
                try socket.sendAll(Array("GET /hello.txt HTTP/1.1\r\nHo".utf8))
                Thread.sleep(forTimeInterval: requestTimeout / 5)
                try socket.sendAll(Array("s".utf8))
                let text = try RawClient.readAll(socket, seconds: requestTimeout + 5, responses: 1)
                if RawClient.status(text) != 408 { return "slowloris answered \(text.prefix(60).debugDescription)" }
            case .idleKeepAlive:
                if let problem = HostileClient.get(socket) { return problem }
                let (bytes, ended) = HostileClient.drain(socket, seconds: idleTimeout + 5)
                if !bytes.isEmpty || !ended { return "idle keep-alive: \(describe(bytes, ended))" }
            }
        } catch {
            return "\(action.rawValue): \(error)"
        }
        return nil
    }

    static func describe(_ bytes: [UInt8], _ ended: Bool) -> String {
        "\(bytes.count) bytes (\(String(decoding: bytes.prefix(40), as: UTF8.self).debugDescription))"
            + (ended ? ", then closed" : ", not closed in time")
    }

    func soak(_ model: String) throws {
        let actions = Int(ProcessInfo.processInfo.environment["NETLAB_SOAK_ACTIONS"] ?? "") ?? 2000
        let seed = UInt64(ProcessInfo.processInfo.environment["NETLAB_SOAK_SEED"] ?? "") ?? 1
        let serial = model == "serial"
        // Each model gets its own action sequences (same seed, different streams).
        let stream = UInt64(HTTPServerTests.models.firstIndex(of: model) ?? 0) * 100
        // The serial model serves one client at a time by design: two clients, so a slow action
        // holds up at most one other.
        let workers = serial ? 2 : 6
        let site = try SiteDirectory()
        try site.addFile("big.bin", size: 8 << 20, seed: seed)
        let server = try ServerProcess(
            [
                "server", "http", "--root", site.path, "--port", "0", "--model", model, "-q",
                "--request-timeout", String(Self.requestTimeout), "--idle-timeout", String(Self.idleTimeout),
            ])
        defer { server.stop() }
        let port = server.port, pid = server.pid

        XCTAssertNil(HostileClient.freshGet(port), model)
        let before = try settledDescriptors(server, model: model, baseline: nil)

        let weighted = Action.allCases.flatMap { [Action](repeating: $0, count: $0.weight(serial: serial)) }
        let tally = Mutex(Tally())
        let started = Clock.now
        let timeLimit = 30.0 * Double(max(1, actions / 2000)) * (serial ? 2 : 1)
        let group = DispatchGroup()
        for worker in 0..<workers {
            group.enter()
            let share = actions / workers + (worker < actions % workers ? 1 : 0)
            let thread = Thread {
                var generator = SeededGenerator(state: seed &* 1000 &+ stream &+ UInt64(worker))
                for _ in 0..<share where Clock.now - started < timeLimit {
                    let action = weighted.randomElement(using: &generator)!
                    let departure = action.departure(Departure.allCases.randomElement(using: &generator)!)
                    let problem = Self.perform(action, port: port, departure: departure, generator: &generator)
                    tally.withLock {
                        $0.counts[action, default: 0] += 1
                        $0.departures[departure, default: 0] += 1
                        switch action.clientGone(departure) {
                        case true: $0.mustBeGone += 1
                        case nil: $0.mayBeGone += 1
                        default: break
                        }
                        $0.done += 1
                        if let problem { $0.disagreements.append("\(action.rawValue) (\(departure)): \(problem)") }
                    }
                }
                group.leave()
            }
            thread.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + timeLimit + 30), .success, "\(model): the clients did not finish")
        let seconds = Clock.now - started
        let result = tally.withLock { $0 }

        // Afterwards: the same process, still serving, nothing left behind.
        XCTAssertTrue(server.process.isRunning, "\(model): the server died: \(server.errors.snapshot.suffix(3))")
        XCTAssertEqual(server.pid, pid)
        XCTAssertNil(HostileClient.freshGet(port), "\(model): no answer after the soak")
        let after = try settledDescriptors(server, model: model, baseline: before)
        let zombies = lingeringZombies(server)
        let stop = server.stop(with: SIGTERM)
        let summary = server.summaryLine ?? "(no summary)"
        let errors = server.errors.snapshot.map(\.1).filter { $0.hasPrefix("netlab:") }

        var table = "soak \(model): \(result.done) actions by \(workers) clients in "
        table += String(format: "%.1f s (seed %llu)\n", seconds, seed)
        for action in Action.allCases {
            table += "  " + action.rawValue.padding(toLength: 28, withPad: " ", startingAt: 0)
            table += String(format: "%6d\n", result.counts[action] ?? 0)
        }
        table +=
            "  departures: " + Departure.allCases.map { "\($0) \(result.departures[$0] ?? 0)" }.joined(separator: ", ")
        let gone = count(in: summary, before: "ended by the client")
        table += "\n  ended by the client: \(gone) counted by the server; \(result.mustBeGone) must be, "
        table += "\(result.mayBeGone) more may be (closed with answers unread: timing)"
        table += "\n  descriptors before \(before), after \(after); zombies left \(zombies.count); "
        table += String(format: "stop %.3f s; exit %d\n  %@", stop.seconds, stop.status, summary)
        print(table)

        XCTAssertEqual(result.done, actions, "\(model): only \(result.done) actions in \(Int(timeLimit)) s")
        XCTAssertEqual(result.disagreements, [], "\(model): \(result.disagreements.count) actions went wrong")
        XCTAssertEqual(after, before, "\(model): descriptors leaked")
        XCTAssertEqual(zombies, [], "\(model): zombie children")
        XCTAssertEqual(stop.status, 0, "\(model): \(server.errors.snapshot.suffix(3))")
        XCTAssertLessThan(stop.seconds, 1.0, "\(model): stopping took too long")
        XCTAssertTrue(summary.hasPrefix("stopped: "), "\(model): \(summary)")
        XCTAssertFalse(summary.contains("killed"), "\(model): \(summary)")
        XCTAssertEqual(errors, [], "\(model): the server reported errors")
        // Every reset and broken pipe is a client gone, counted, and nothing else is.
        XCTAssertGreaterThanOrEqual(gone, result.mustBeGone, "\(model): \(summary)")
        XCTAssertLessThanOrEqual(gone, result.mustBeGone + result.mayBeGone, "\(model): \(summary)")
    }

    /// The server's descriptor count once it stops changing (connections finishing on other
    /// threads close theirs a moment later): equal to `baseline` within 5 s, or the last count.
    func settledDescriptors(_ server: ServerProcess, model: String, baseline: Int?) throws -> Int {
        // The first count is taken with no connection held (the opening GET's may take a loaded
        // server a while to close, and would then be counted as part of the baseline).
        if baseline == nil { _ = Harness.eventually { server.heldConnections == 0 } }
        var last = server.openDescriptors
        let deadline = Clock.now + 5
        while Clock.now < deadline {
            Thread.sleep(forTimeInterval: 0.3)
            let now = server.openDescriptors
            if let baseline, now == baseline { return now }
            if baseline == nil, now == last { return now }
            last = now
        }
        return last
    }

    /// Zombie children that are still zombies a second later (a reaped child is gone at once).
    func lingeringZombies(_ server: ServerProcess) -> Set<Int32> {
        let first = server.zombieChildren
        guard !first.isEmpty else { return [] }
        Thread.sleep(forTimeInterval: 1.1)
        return first.intersection(server.zombieChildren)
    }

    func testSoakSerial() throws { try soak("serial") }
    func testSoakFork() throws { try soak("fork") }
    func testSoakThreads() throws { try soak("threads") }
    func testSoakEvents() throws { try soak("events") }
}
