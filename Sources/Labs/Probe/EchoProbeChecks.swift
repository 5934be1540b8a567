import Sockets

/// `netlab probe echo HOST PORT`: every byte comes back, exactly, however much and whatever its
/// value; the echo completes after the client's FIN; clients are served at once; a client that
/// resets does not take the server with it (lessons 2 and 4).
enum EchoProbeChecks {
    static let all: [StreamCheck] = [small, binary, large, halfClose, silentClient, parallel, afterReset]

    static let serialHint = "this is the serial model: see lesson 4 (fork, threads or an event loop)"

    /// Printable lines with their numbers (a cut or a reordering is easy to see in the evidence).
    static func lines(_ count: Int, tag: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 64)
        for index in 0..<count {
            let number = String(index + 1)
            var line = tag + " line " + String(repeating: "0", count: max(0, 7 - number.count)) + number + " "
            line += String(
                "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".prefix(63 - line.utf8.count))
            bytes += Array(line.utf8) + [0x0A]
        }
        return bytes
    }

    /// Sends `message` on a fresh connection and reads it back: (passed, observed, exchange).
    /// With `halfClose` the probe shuts its side after the last byte and reads until the server closes.
    static func roundTrip(_ context: StreamContext, _ label: String, _ message: [UInt8], halfClose: Bool = false)
        -> ProbeOutcome
    {
        guard let connection = context.connect(label) else { return .fail("could not connect") }
        defer { connection.close() }
        let deadline = context.deadline
        let sentAll = connection.send(message, deadline: deadline)
        let closed: Bool
        if halfClose {
            if sentAll { connection.shutdownWrite() }
            closed = connection.readToEnd(deadline: deadline)
        } else {
            connection.read(until: { $0.count >= message.count }, deadline: deadline)
            closed = connection.sawEnd || connection.sawReset
        }
        let got = connection.received
        let exchange = connection.exchange()
        let size = "\(message.count)-byte message"
        if !sentAll {
            return .fail(
                "only \(connection.sent.count) of \(message.count) bytes could be sent (\(connection.ending)); "
                    + "\(got.count) came back", [exchange])
        }
        if got != message {
            let ending = closed ? "then the server \(connection.sawReset ? "reset" : "closed")" : "then nothing more"
            return .fail(
                "\(got.count) of \(message.count) bytes came back, \(ending): "
                    + firstDifference(sent: message, received: got), [exchange])
        }
        if halfClose && !closed {
            return .fail(
                "all \(message.count) bytes came back, but the server did not close in \(context.timeout) s after "
                    + "the probe's FIN (a client waiting for the end would hang)", [exchange])
        }
        return .pass(
            halfClose ? "the \(size) came back whole, then the server closed" : "the \(size) came back exactly")
    }

    static let small = StreamCheck(
        id: "echo.small", group: .echo, title: "A short line comes back",
        expected: "the same bytes back, no more, no fewer",
        why: "lesson 2: an echo server sends back exactly what it receives"
    ) { context in
        roundTrip(context, "one short line", Array("hello, echo \(UInt32.random(in: 0...UInt32.max))\n".utf8))
    }

    static let binary = StreamCheck(
        id: "echo.binary", group: .echo, title: "All 256 byte values come back",
        expected: "512 bytes (0x00…0xff in order, then shuffled) back unchanged",
        why: "TCP carries bytes, not text: a server that decodes and re-encodes (UTF-8, line endings) changes them"
    ) { context in
        var generator = PayloadGenerator(state: 0x9E37_79B9_7F4A_7C15)
        var shuffled = (0...255).map { UInt8($0) }
        for index in stride(from: 255, to: 0, by: -1) {
            shuffled.swapAt(index, Int(generator.next() % UInt64(index + 1)))
        }
        return roundTrip(context, "every byte value", (0...255).map { UInt8($0) } + shuffled)
    }

    static let large = StreamCheck(
        id: "echo.large", group: .echo, title: "A 1 MiB message comes back",
        expected: "1,049,600 bytes back exactly, the probe reading while it sends",
        why: "lesson 9: one recv() returns what has arrived (a few KiB), not the message: loop until the client stops"
    ) { context in
        roundTrip(context, "1 MiB in one go", lines(16400, tag: "large"))
    }

    static let halfClose = StreamCheck(
        id: "echo.half-close", group: .echo, title: "The echo completes after the client's FIN",
        expected: "256 KiB sent, then shutdown(SHUT_WR): all 256 KiB back, then the server closes",
        why: "lesson 3: recv() returning 0 means the client will send no more, not that it stopped reading; "
            + "send what is still owed, then close"
    ) { context in
        roundTrip(context, "256 KiB, then FIN", lines(4096, tag: "tail"), halfClose: true)
    }

    static let silentClient = StreamCheck(
        id: "echo.silent-client", group: .echo, title: "A silent client does not block others",
        expected: "while one client is connected and sends nothing, a second client's line comes back",
        why: "lesson 4: a server that waits in recv() for one client serves nobody else meanwhile"
    ) { context in
        guard let silent = context.connect("connects, sends nothing") else { return .fail("could not connect") }
        defer { silent.close() }
        sleep(seconds: 0.2)
        let started = Clock.now
        let outcome = roundTrip(context, "a second client meanwhile", Array("are you there?\n".utf8))
        let took = String(format1: Clock.now - started)
        if outcome.passed == true { return .pass("the second client's line came back in \(took) s") }
        return .fail(
            "second client: \(outcome.observed) (\(took) s) while the first was silent: \(serialHint)",
            [silent.exchange()] + outcome.exchanges)
    }

    static let parallelClients = 20

    static let parallel = StreamCheck(
        id: "echo.parallel", group: .echo, title: "20 clients at once",
        expected: "20 connections open together, each sends its own line, each gets exactly its line back",
        why: "lesson 4: concurrency means every connected client makes progress"
    ) { context in
        var connections: [StreamConnection] = []
        defer { for connection in connections { connection.close() } }
        for index in 0..<parallelClients {
            guard let connection = context.connect("client \(index + 1) of \(parallelClients)") else { break }
            connections.append(connection)
        }
        let deadline = context.deadline
        let messages = connections.indices.map { Array("client \($0 + 1) of \(parallelClients) says hello\n".utf8) }
        for (connection, message) in zip(connections, messages) { connection.send(message, deadline: deadline) }
        readAll(
            connections, until: { zip(connections, messages).allSatisfy { $0.received.count >= $1.count } },
            deadline: deadline)
        let served = zip(connections, messages).filter { $0.received == $1 }.count
        if served == parallelClients { return .pass("\(served) of \(parallelClients) echoed exactly") }
        var observed =
            "\(served) of \(parallelClients) echoed within \(context.timeout) s (\(connections.count) connected)"
        var evidence: [ProbeExchange] = []
        if let index = connections.indices.first(where: { connections[$0].received != messages[$0] }) {
            observed +=
                "; client \(index + 1): "
                + firstDifference(sent: messages[index], received: connections[index].received)
            if index > 0 { evidence.append(connections[index - 1].exchange()) }
            evidence.append(connections[index].exchange())
        }
        if served <= 1 { observed += ": " + serialHint }
        return .fail(observed, evidence)
    }

    static let afterReset = StreamCheck(
        id: "echo.after-reset", group: .echo, title: "Serves on after a client's RST mid-message",
        expected: "a client sends 64 KiB without reading the echo, then resets; the next client's line comes back",
        why: "lesson 8: recv() or send() fails with ECONNRESET (or EPIPE, SIGPIPE) for that client only; "
            + "the server must go on",
        destructive: true
    ) { context in
        guard let rude = context.connect("64 KiB unread, then RST") else { return .fail("could not connect") }
        let message = lines(1024, tag: "rude")
        // No draining: the echo piles up unread, so the server's send meets the reset.
        var offset = 0
        let deadline = Clock.now + 1
        while offset < message.count, Clock.now < deadline {
            let taken =
                (try? message.withUnsafeBytes { raw throws(SocketError) in
                    try rude.socket.trySend(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                }) ?? 0
            offset += taken
            if taken == 0 { sleep(seconds: 0.01) }
        }
        sleep(seconds: 0.1)
        let port = rude.localPort
        rude.reset()
        sleep(seconds: 0.2)
        let outcome = roundTrip(context, "the next client", Array("still there?\n".utf8))
        let gone = ProbeExchange(
            label: "64 KiB unread, then RST", sent: Array(message.prefix(offset)), received: [],
            ending: "reset by the probe", localPort: port)
        if outcome.passed == true { return .pass("the next client's line came back") }
        let hint = outcome.observed == "could not connect" ? " (the server is gone: did the reset kill it?)" : ""
        return .fail("after the reset, the next client: \(outcome.observed)\(hint)", [gone] + outcome.exchanges)
    }

    /// The model the behaviour fits, from the two concurrency checks.
    static func model(silent: ProbeResult.Status?, parallel: ProbeResult.Status?) -> String {
        if silent == .failed { return "serial: one client at a time (lesson 4)" }
        if silent == .passed && parallel == .failed {
            return
                "concurrent, but not for \(parallelClients) clients at once (a limit on processes, threads or the backlog?)"
        }
        if silent == .passed || parallel == .passed {
            return "concurrent: a process, a thread or an event loop per client (the wire looks the same for all three)"
        }
        return "not probed"
    }
}
