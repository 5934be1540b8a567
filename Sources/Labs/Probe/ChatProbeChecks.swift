import Sockets

/// `netlab probe chat HOST PORT`: lines in, lines out to the others. Tolerant of any decoration
/// (`[nick] `, `addr: `) and of greetings and notices: the probe looks only for its own text.
/// With `--nickname` each probe client first sends a nickname line (netlab's server asks for one).
enum ChatProbeChecks {
    static let all: [StreamCheck] = [broadcast, pieces, twoLines, slowReader]

    /// Connects one client per name (sending a nickname line first when asked), then waits for
    /// the server to settle and reads its greetings. Clients in `silent` are never read.
    static func join(_ context: StreamContext, _ names: [String], silent: Set<String> = [], receiveBuffer: Int32? = nil)
        -> [StreamConnection]?
    {
        var connections: [StreamConnection] = []
        let suffix = String(UInt16.random(in: 1000...9999))
        for name in names {
            let buffer = silent.contains(name) ? receiveBuffer : nil
            guard let connection = context.connect(name, receiveBuffer: buffer) else {
                for connection in connections { connection.close() }
                return nil
            }
            if context.nickname {
                let nick = "probe" + name.prefix(1) + suffix
                connection.send(Array((nick + "\n").utf8), deadline: context.deadline)
            }
            connections.append(connection)
        }
        sleep(seconds: 0.3)
        for (name, connection) in zip(names, connections) where !silent.contains(name) { connection.drain() }
        return connections
    }

    /// The complete lines received (without CR LF), as text.
    static func lines(_ bytes: [UInt8]) -> [String] {
        var result: [String] = []
        var start = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            var end = index
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            result.append(String(decoding: bytes[start..<end], as: UTF8.self))
            start = index + 1
        }
        return result
    }

    static func line(_ connection: StreamConnection, containing text: String) -> String? {
        lines(connection.received).first { $0.contains(text) }
    }

    static func token() -> String { String(UInt32.random(in: 0...UInt32.max), radix: 36) }

    static let broadcast = StreamCheck(
        id: "chat.broadcast", group: .chat, title: "A line reaches the others",
        expected: "A, B and C connected; a line A sends arrives at B and at C as a line (back at A or not)",
        why: "lesson 4: a chat server relays each line to every other client"
    ) { context in
        guard let room = join(context, ["A", "B", "C"]) else { return .fail("could not connect three clients") }
        defer { for connection in room { connection.close() } }
        let (a, b, c) = (room[0], room[1], room[2])
        let text = "probe broadcast \(token())"
        a.send(Array((text + "\n").utf8), deadline: context.deadline)
        readAll(
            room, until: { line(b, containing: text) != nil && line(c, containing: text) != nil },
            deadline: context.deadline)
        let missing = [("B", b), ("C", c)].filter { line($0.1, containing: text) == nil }.map(\.0)
        let evidence = [a.exchange("A sends a line"), b.exchange("B"), c.exchange("C")]
        if missing.isEmpty { return .pass("B and C got it: \(line(b, containing: text) ?? "")") }
        var hint = line(a, containing: text) != nil ? "; A got its own line back (sent to the sender only?)" : ""
        if !context.nickname, String(decoding: b.received, as: UTF8.self).lowercased().contains("nickname") {
            hint += "; the server asks for a nickname: try --nickname"
        }
        return .fail(
            "\(missing.joined(separator: " and ")) never got A's line in \(context.timeout) s\(hint)", evidence)
    }

    static let pieces = StreamCheck(
        id: "chat.pieces", group: .chat, title: "A line sent in pieces arrives whole",
        expected: "A sends one line a byte at a time (10 ms apart); B receives it as one line",
        why: "lesson 9: recv() returns what has arrived; a chat server collects bytes up to the newline, "
            + "then relays the line",
        needs: "chat.broadcast"
    ) { context in
        guard let room = join(context, ["A", "B"]) else { return .fail("could not connect two clients") }
        defer { for connection in room { connection.close() } }
        let (a, b) = (room[0], room[1])
        let text = "probe pieces \(token()) arrive as one line"
        a.sendInPieces(Array((text + "\n").utf8), pause: 0.01, deadline: context.deadline + 2)
        readAll(room, until: { line(b, containing: text) != nil }, deadline: context.deadline)
        if let got = line(b, containing: text) { return .pass("B got it whole: \(got)") }
        let cut = lines(b.received).filter { $0.contains("probe") || $0.contains("pieces") }.count
        return .fail(
            "B never got the whole line; its \(lines(b.received).count) lines include \(cut) with parts of it",
            [a.exchange("A sends a line in 1-byte pieces"), b.exchange("B")])
    }

    static let twoLines = StreamCheck(
        id: "chat.two-lines", group: .chat, title: "Two lines in one segment arrive as two",
        expected: "A sends two lines in one send(); B receives two lines, in order, decorated alike",
        why: "lesson 9: one recv() may hold several lines; the server cuts at each newline and relays each line",
        needs: "chat.broadcast"
    ) { context in
        guard let room = join(context, ["A", "B"]) else { return .fail("could not connect two clients") }
        defer { for connection in room { connection.close() } }
        let (a, b) = (room[0], room[1])
        let tag = token()
        let first = "probe first \(tag)", second = "probe second \(tag)"
        a.send(Array((first + "\n" + second + "\n").utf8), deadline: context.deadline)
        readAll(
            room, until: { line(b, containing: first) != nil && line(b, containing: second) != nil },
            deadline: context.deadline)
        let evidence = [a.exchange("A sends two lines in one segment"), b.exchange("B")]
        let received = lines(b.received)
        guard let one = received.firstIndex(where: { $0.contains(first) }),
            let two = received.firstIndex(where: { $0.contains(second) })
        else {
            return .fail("B did not get both lines in \(context.timeout) s", evidence)
        }
        guard one < two else { return .fail("B got the second line before the first", evidence) }
        // The decoration before the text ("[A] ") must be the same: a relay per recv() decorates
        // only the first of the lines it got together.
        let prefixOne = received[one].components(separatedBy: first)[0]
        let prefixTwo = received[two].components(separatedBy: second)[0]
        guard prefixOne == prefixTwo else {
            return .fail(
                "B got \(ProbeJSON.quote(received[one])) then \(ProbeJSON.quote(received[two])): "
                    + "the two lines were relayed as one message", evidence)
        }
        return .pass("B got two lines: \(received[one]) / \(received[two])")
    }

    /// 8 MiB: more than the kernel buffers between the server and a client that does not read
    /// (a blocking server passed with 2 MiB on loopback, where they grew to about 2.8 MB).
    static let bulkLines = 8192

    static let slowReader = StreamCheck(
        id: "chat.slow-reader", group: .chat, title: "A client that never reads does not block the rest",
        expected: "S joins and never reads; A sends 8 MiB of lines; B receives them all, then A's next line",
        why: "lesson 4: a blocking send() to a client that does not read waits forever; queue per client "
            + "(or drop it) so the others go on",
        needs: "chat.broadcast"
    ) { context in
        // S's small receive window fills at once; after that only the server's buffers stand between.
        guard let room = join(context, ["A", "B", "S"], silent: ["S"], receiveBuffer: 4096) else {
            return .fail("could not connect three clients")
        }
        defer { for connection in room { connection.close() } }
        let (a, b, s) = (room[0], room[1], room[2])
        let tag = token()
        var bulk: [UInt8] = []
        for index in 0..<bulkLines {
            let head = "probe bulk \(tag) \(index + 1) "
            bulk += Array((head + String(repeating: "x", count: 999 - head.utf8.count) + "\n").utf8)
        }
        let base = b.received.count
        let deadline = Clock.now + 2 * context.timeout
        var offset = 0
        while offset < bulk.count, Clock.now < deadline, !a.sawEnd, !a.sawReset {
            let taken = a.sendSome(bulk[offset..<min(bulk.count, offset + 16384)])
            offset += taken
            a.drain()
            b.drain()
            if taken == 0 { sleep(seconds: 0.002) }
        }
        readAll([a, b], until: { b.received.count - base >= bulk.count }, deadline: deadline)
        let relayed = b.received.count - base
        var evidence = [a.exchange("A sends 8 MiB of lines"), b.exchange("B reads"), s.exchange("S never reads")]
        guard offset == bulk.count, relayed >= bulk.count else {
            return .fail(
                "A could send \(offset) of \(bulk.count) bytes and B received \(relayed) in \(2 * context.timeout) s "
                    + "while S read nothing: the server waits on the client that does not read", evidence)
        }
        let last = "probe last \(tag)"
        a.send(Array((last + "\n").utf8), deadline: context.deadline)
        readAll([a, b], until: { line(b, containing: last) != nil }, deadline: context.deadline)
        evidence = [a.exchange("A sends 8 MiB of lines"), b.exchange("B reads"), s.exchange("S never reads")]
        guard line(b, containing: last) != nil else {
            return .fail("B received the 8 MiB but not A's next line", evidence)
        }
        return .pass("B received the 8 MiB and the next line while S read nothing (\(s.ending))")
    }
}
