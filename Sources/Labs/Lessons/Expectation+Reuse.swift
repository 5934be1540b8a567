/// Lesson 11's checks: a port reused while TIME-WAIT lingers, and a connection that waited in
/// the listen queue.
extension Expectation {
    /// Linux keeps a TIME-WAIT socket a fixed 60 s (TCP_TIMEWAIT_LEN).
    static let timeWaitSeconds = 60.0

    /// A connection whose server closed first leaves the server's port in TIME-WAIT for 60 s;
    /// a later SYN to that port within those 60 s that completes its handshake found a server
    /// that could bind it; one answered by RST found none (the restart failed).
    func evaluateAddressReused(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let connections = facts.connections
        let waiting = connections.filter { $0.firstToClose == .server && $0.serverStates.contains(.timeWait) }
        guard !waiting.isEmpty else {
            return (
                false,
                "no connection the server closed first, so its port never waited in TIME-WAIT (ask with "
                    + "`Connection: close`, and capture the whole teardown)"
            )
        }
        var refused: [String] = []
        for earlier in waiting {
            for later in connections
            where later.stream != earlier.stream && later.serverPort == earlier.serverPort && later.synSeen
                && later.start >= earlier.end && later.start - earlier.end < Self.timeWaitSeconds
            {
                let gap = Self.seconds(later.start - earlier.end)
                if later.handshakeComplete {
                    return (
                        true,
                        "port \(later.serverPort): stream \(earlier.stream) left it in TIME-WAIT, stream "
                            + "\(later.stream) was accepted on it \(gap) later"
                    )
                }
                if later.reset && !later.clientStates.contains(.established) {
                    refused.append("stream \(later.stream), \(gap) later")
                }
            }
        }
        guard refused.isEmpty else {
            return (
                false,
                "port \(waiting[0].serverPort) was in TIME-WAIT, and the next connection to it was refused (\(refused.prefix(3).joined(separator: "; "))): "
                    + "nothing listened, the restarted server could not bind the port (EADDRINUSE)"
            )
        }
        return (false, "the port in TIME-WAIT (\(waiting[0].serverPort)) got no new connection within 60 s")
    }

    /// An HTTP response in time (before its client gave up) on a connection B, where another
    /// connection A was already open when B connected and ended before B's answer: the
    /// kernel completed B's handshake and queued it until the server accepted it.
    func evaluateAcceptQueued(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let byStream = Dictionary(facts.connections.map { ($0.stream, $0) }, uniquingKeysWith: { first, _ in first })
        var late = 0
        for message in facts.http where message.kind == .response && !message.isMalformed {
            guard let waiter = byStream[message.stream], waiter.handshakeComplete, message.firstFrame >= 1,
                message.firstFrame <= facts.frameTimes.count
            else { continue }
            let answered = facts.frameTimes[message.firstFrame - 1]
            let holder = facts.connections.first {
                $0.stream != waiter.stream && $0.start <= waiter.start && waiter.start < $0.end && $0.end <= answered
            }
            guard let holder else { continue }
            if let gaveUp = waiter.clientGaveUp, gaveUp <= answered {
                late += 1
                continue
            }
            return (
                true,
                "stream \(waiter.stream) connected while stream \(holder.stream) held the server and was answered "
                    + "\(Self.seconds(answered - waiter.start)) later, \(Self.seconds(answered - holder.end)) after "
                    + "stream \(holder.stream) ended"
            )
        }
        if late > 0 {
            return (false, "\(late) queued connection\(late == 1 ? "" : "s") answered only after the client gave up")
        }
        return (false, "no connection waited for another to end before it was answered")
    }

    static func seconds(_ value: Double) -> String {
        value < 1 ? "\(Int((value * 1000).rounded())) ms" : "\((value * 10).rounded() / 10) s"
    }
}
