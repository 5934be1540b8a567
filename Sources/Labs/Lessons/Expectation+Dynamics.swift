import Inspect

/// The checks of the TCP dynamics lessons (18 flow control, 19 congestion control, 20
/// segmentation and MTU), read from each connection's `ConnectionDynamics`.
extension Expectation {
    var dynamicsArgumentProblem: String? {
        switch kind {
        case .zeroWindow, .windowProbe:
            return argument.map { "\(kind.rawValue) takes no argument, not '\($0)'" }
        case .mss:
            guard let argument, let value = Int(argument), (1...65535).contains(value) else {
                return "mss takes the MSS in bytes (1 to 65535), e.g. mss 1460"
            }
            return nil
        default:
            guard let argument else { return nil }
            guard let count = Int(argument), count >= 1 else {
                return "\(kind.rawValue) takes a count of at least 1, not '\(argument)'"
            }
            return nil
        }
    }

    var dynamicsSummary: String {
        switch kind {
        case .zeroWindow: "a receiver advertising a zero window: its buffer full (流量控制)"
        case .windowProbe: "the sender probing the zero window, and the receiver answering (窗口探测)"
        case .mss: "a SYN offering MSS \(argument ?? "?") (最大报文段长度)"
        case .retransmissions:
            "\(number) data segment\(number == 1 ? "" : "s") retransmitted after a loss (重传, 拥塞控制)"
        default: "\(number) data segments from one side, none larger than the MSS its peer offered (分段)"
        }
    }

    func evaluateDynamics(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let connections = facts.connections
        switch kind {
        case .zeroWindow:
            let closed = connections.flatMap { connection in
                TCPRole.both.compactMap { role in
                    connection.dynamics.zeroWindows[role].map { (connection.stream, role, $0) }
                }
            }
            guard let first = closed.first else {
                return (false, "no zero window: every window advertised had room (the receiver kept up)")
            }
            return (true, "stream \(first.0): the \(first.1.rawValue) advertised window 0 in \(first.2) segments")
        case .windowProbe:
            for connection in connections {
                for role in TCPRole.both {
                    let dynamics = connection.dynamics
                    guard let probes = dynamics.windowProbes[role] else { continue }
                    let answers = dynamics.probeAnswers[role.other] ?? 0
                    guard answers > 0 else { continue }
                    return (
                        true,
                        "stream \(connection.stream): the \(role.rawValue) sent \(probes) window probe"
                            + "\(probes == 1 ? "" : "s"), the \(role.other.rawValue) answered \(answers)"
                    )
                }
            }
            let zero = connections.contains { !$0.dynamics.zeroWindows.isEmpty }
            return (
                false,
                zero
                    ? "a zero window, but no probe answered while it lasted (stopped too early?)"
                    : "no zero window, so nothing to probe"
            )
        case .mss:
            let offered = connections.flatMap { connection in
                TCPRole.both.compactMap { role in connection.dynamics.mss[role].map { (role, Int($0)) } }
            }
            let passed = offered.contains { $0.1 == number }
            let seen = offered.map { "\($0.0 == .client ? "SYN" : "SYN-ACK") \($0.1)" }
            return (passed, seen.isEmpty ? "no SYN with an MSS option" : "MSS offered: " + Self.firstFew(seen))
        case .retransmissions:
            let best = connections.flatMap { connection in
                TCPRole.both.map { role in (connection, role, connection.dynamics.retransmissions[role] ?? 0) }
            }.max { $0.2 < $1.2 }
            guard let (connection, role, count) = best, count > 0 else {
                return (false, "no data segment was sent twice: nothing was lost")
            }
            let dynamics = connection.dynamics
            let fast = dynamics.fastRetransmissions[role] ?? 0
            let duplicates = dynamics.duplicateAcks[role.other] ?? 0
            // The rate the sender reached, loss and all: the number lesson 19 asks students for.
            let rate = dynamics.throughput(role).map {
                "; \(Self.megabits($0)) Mbit/s of data over \(Self.seconds(dynamics, role)) s"
            }
            return (
                count >= number,
                "stream \(connection.stream): the \(role.rawValue) retransmitted \(count) of its "
                    + "\(dynamics.dataSegments[role] ?? 0) data segments (\(fast) fast), after \(duplicates) "
                    + "duplicate ACKs from the \(role.other.rawValue)" + (rate ?? "")
            )
        default:
            return evaluateSegmentSizes(connections)
        }
    }

    /// The direction with the most data segments among those whose peer offered an MSS.
    private func evaluateSegmentSizes(_ connections: [CaptureFacts.Connection]) -> (passed: Bool, found: String) {
        var best: (connection: CaptureFacts.Connection, role: TCPRole, segments: Int, mss: Int)?
        var tooLarge: [String] = []
        for connection in connections {
            for role in TCPRole.both {
                let dynamics = connection.dynamics
                let segments = dynamics.dataSegments[role] ?? 0
                guard segments > 0, let mss = dynamics.mss[role.other].map(Int.init) else { continue }
                let largest = dynamics.largestSegment[role] ?? 0
                if largest > mss {
                    tooLarge.append(
                        "stream \(connection.stream): a \(largest)-byte segment from the \(role.rawValue) "
                            + "(MSS \(mss); captured on the sender before segmentation offload?)")
                    continue
                }
                // Ties go to the side that sent more bytes (the response, not the request).
                let bytes = dynamics.payloadBytes[role] ?? 0
                if let current = best,
                    (segments, bytes) <= (current.segments, current.connection.dynamics.payloadBytes[current.role] ?? 0)
                {
                    continue
                }
                best = (connection, role, segments, mss)
            }
        }
        var found = "no data in a connection whose SYN was captured (start capturing before connecting)"
        if let best {
            let largest = best.connection.dynamics.largestSegment[best.role] ?? 0
            found =
                "stream \(best.connection.stream): the \(best.role.rawValue) sent \(best.segments) data segment"
                + "\(best.segments == 1 ? "" : "s"), the largest \(largest) bytes (MSS \(best.mss))"
        }
        if !tooLarge.isEmpty { found += "; " + Self.firstFew(tooLarge) }
        return ((best?.segments ?? 0) >= number, found)
    }

    static func megabits(_ bitsPerSecond: Double) -> String {
        String(Double(Int((bitsPerSecond / 1e5).rounded())) / 10)
    }

    static func seconds(_ dynamics: ConnectionDynamics, _ role: TCPRole) -> String {
        let span = (dynamics.lastData[role] ?? 0) - (dynamics.firstData[role] ?? 0)
        return String(Double(Int((span * 100).rounded())) / 100)
    }

    private static func firstFew(_ items: [String]) -> String {
        items.prefix(4).joined(separator: ", ") + (items.count > 4 ? ", …" : "")
    }
}

extension TCPRole {
    /// Client first, then server: the order the checks look at the two sides.
    static let both: [TCPRole] = [.client, .server]
}
