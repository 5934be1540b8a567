import Inspect

/// The checks that read what connections carried, not only how they opened and closed:
/// echoed bytes, delivered bytes, framing. Each looks at every connection and reports the
/// best one, so a student's extra connections never hide the one that counts.
extension Expectation {
    /// The connection whose echo matched, or else the one that came closest, described.
    func evaluateEcho(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        var best: (score: Int, found: String)?
        for connection in facts.connections {
            let sent = connection.bytes[.client] ?? [], back = connection.bytes[.server] ?? []
            guard !sent.isEmpty else { continue }
            let holes = connection.gapBytes[.client, default: 0] + connection.gapBytes[.server, default: 0]
            let same = zip(sent, back).prefix { $0 == $1 }.count
            let stream = "stream \(connection.stream): \(sent.count) bytes sent, \(back.count) came back"
            if sent == back && holes == 0 && !connection.truncated.contains(.client) && sent.count >= number {
                return (true, stream + ", the same bytes in the same order")
            }
            var found = stream
            if connection.truncated.contains(.client) {
                found += " (more than a lesson check keeps: send less)"
            } else if holes > 0 {
                found += " (the capture misses \(holes) bytes of it)"
            } else if same < min(sent.count, back.count) {
                found += "; they differ from byte \(same)"
            } else if back.count < sent.count {
                found += "; the echo stops after byte \(back.count)"
                if connection.reset { found += " (the connection was reset)" }
            } else if back.count > sent.count {
                found += "; \(back.count - sent.count) bytes more than were sent"
            } else {
                found += "; fewer than \(number)"
            }
            if best == nil || same > best!.score { best = (same, found) }
        }
        return (false, best?.found ?? "no connection carried bytes from its client")
    }

    /// One direction carried `number` bytes, whole and in order, and its sender closed with FIN.
    func evaluateDelivered(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        var most = 0
        var note = "no connection carried data"
        for connection in facts.connections {
            for role in [TCPRole.client, .server] {
                let count = connection.bytes[role]?.count ?? 0
                guard count > 0 else { continue }
                let holes = connection.gapBytes[role, default: 0]
                let closed = connection.finFrom.contains(role) && !connection.reset
                if holes == 0 && closed && count >= number {
                    return (
                        true,
                        "stream \(connection.stream): the \(role.rawValue) sent \(count) bytes, all in order, then FIN"
                    )
                }
                guard count >= most else { continue }
                most = count
                note = "stream \(connection.stream): the \(role.rawValue) sent \(count) bytes"
                if holes > 0 { note += ", \(holes) missing from the capture" }
                if !closed { note += connection.reset ? ", ended by RST" : ", no FIN" }
            }
        }
        return (false, note)
    }

    func evaluateFraming(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        guard let scheme = FramingScheme(rawValue: argument ?? "") else { return (false, "unknown framing") }
        var first: String?
        for connection in facts.connections {
            let sent = connection.bytes[.client] ?? []
            guard !sent.isEmpty else { continue }
            if connection.truncated.contains(.client) {
                first =
                    first
                    ?? "stream \(connection.stream): more than \(CaptureFacts.keptBytes >> 20) MiB from the client, "
                    + "more than a lesson check keeps: send a smaller file"
                continue
            }
            if connection.gapBytes[.client, default: 0] > 0 {
                first = first ?? "stream \(connection.stream): the capture misses part of the client's bytes"
                continue
            }
            let verdict = scheme.judge(sent, reply: connection.bytes[.server] ?? [])
            if verdict.whole {
                // The boundaries came from the framing, whatever segments the bytes crossed in.
                let segments = connection.dataSegments[.client, default: 0]
                let crossed = "; the client's bytes crossed in \(segments) segment\(segments == 1 ? "" : "s")"
                return (true, "stream \(connection.stream): " + verdict.found + crossed)
            }
            first = first ?? "stream \(connection.stream): " + verdict.found
        }
        return (false, first ?? "no connection carried bytes from its client")
    }
}
