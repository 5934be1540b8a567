import Inspect
import Sockets

/// Several clients at once (lesson 4). A serial server serves one connection until it ends, so a
/// client that connects and says nothing, or a keep-alive client that stays, blocks everyone.
enum ConcurrencyChecks {
    static let all: [ProbeCheck] = [idleClient, parallel]

    static let serialHint = "this is the serial model: see lesson 4 (fork, threads or an event loop)"

    static let idleClient = ProbeCheck(
        id: "concurrency.idle-client", group: .concurrency, title: "A silent client does not block others",
        expected: "while one client is connected and sends nothing, a second client gets 200",
        why: "lesson 4: a server that waits in recv() for one client serves nobody else meanwhile"
    ) { context in
        guard let idle = context.connect("connects, sends nothing") else { return .fail("could not connect") }
        defer { idle.close() }
        sleep(seconds: 0.2)
        let started = Clock.now
        let (outcome, exchange) = context.exchange("a second client meanwhile", context.request("GET", context.file))
        let took = Clock.now - started
        guard let response = outcome.response, response.status == 200 else {
            return .fail(
                "the second client got \(outcome.summary) in \(String(format1: took)) s while the first was silent: "
                    + serialHint, [idle.exchange(), exchange])
        }
        return .pass("the second client got 200 in \(String(format1: took)) s")
    }

    static let parallel = ProbeCheck(
        id: "concurrency.parallel", group: .concurrency, title: "50 clients at once",
        expected: "50 connections open together (keep-alive), each sends a GET, all 50 get 200",
        why: "lesson 4: concurrency means every connected client makes progress"
    ) { context in
        let count = context.parallelClients
        var connections: [ProbeConnection] = []
        defer { for connection in connections { connection.close() } }
        for index in 0..<count {
            guard let connection = context.connect("client \(index + 1) of \(count)") else { break }
            connections.append(connection)
        }
        for connection in connections { _ = connection.send(context.request("GET", context.file)) }
        let deadline = context.deadline
        var served = 0
        var firstFailure: (Int, ReadOutcome)?
        for (index, connection) in connections.enumerated() {
            // Short silences: fifty unframed bodies must not cost fifty half-seconds.
            let outcome = connection.readResponse(to: "GET", deadline: deadline, silence: 0.05)
            if outcome.response?.status == 200 {
                served += 1
            } else if firstFailure == nil {
                firstFailure = (index, outcome)
            }
        }
        if served == count { return .pass("\(count) of \(count) served") }
        var observed = "\(served) of \(count) served within \(context.timeout) s (\(connections.count) connected)"
        var evidence: [ProbeExchange] = []
        if let (index, outcome) = firstFailure {
            observed += "; client \(index + 1): \(outcome.summary)"
            if index > 0 { evidence.append(connections[index - 1].exchange()) }
            evidence.append(connections[index].exchange())
        }
        if served <= 1 { observed += ": " + serialHint }
        return .fail(observed, evidence)
    }

    /// The model the behaviour fits, from the two checks' results.
    static func model(idle: ProbeResult.Status?, parallel: ProbeResult.Status?) -> String {
        if idle == .failed { return "serial: one client at a time (lesson 4)" }
        if idle == .passed && parallel == .failed {
            return "concurrent, but not for 50 clients at once (a limit on processes, threads or the backlog?)"
        }
        if idle == .passed || parallel == .passed {
            return "concurrent: a process, a thread or an event loop per client (the wire looks the same for all three)"
        }
        return "not probed"
    }
}

extension String {
    /// One decimal place, without Foundation's String(format:).
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
