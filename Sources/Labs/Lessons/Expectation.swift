import Inspect

/// One line of a lesson's ```` ```check ```` block: `expect KIND [ARGUMENT]: hint`. The kinds
/// are the things lessons ask students to find in their captures.
public struct Expectation: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// SYN, SYN-ACK, ACK and both sides ESTABLISHED.
        case handshake
        /// A FIN from each side (and who sent the first).
        case teardown
        /// Some endpoint reached TIME-WAIT.
        case timeWait = "time-wait"
        /// A connection ended by RST.
        case reset
        /// A SYN answered by RST: nothing listening.
        case refused
        /// An HTTP request with this method (and optional target).
        case httpRequest = "http-request"
        /// An HTTP response with this status code.
        case httpStatus = "http-status"
        /// Some HTTP message carrying this header field.
        case httpHeader = "http-header"
        /// One TCP connection carrying at least two HTTP requests.
        case keepAlive = "keep-alive"
        /// At least N TCP connections.
        case connections
        /// At least N TCP connections open at the same time.
        case concurrent
        /// An HTTP response sent while N connections (its own included) were open, before its
        /// own client gave up (FIN or RST): the server served clients at the same time. A serial
        /// server's late answer to a client that already left does not count.
        case servedConcurrently = "served-concurrently"
        /// At least N UDP datagrams.
        case udpDatagrams = "udp-datagrams"
        /// An ICMP port unreachable.
        case portUnreachable = "port-unreachable"
        /// At least N data-carrying segments from one side of one connection.
        case dataSegments = "data-segments"
    }

    public var kind: Kind
    public var argument: String?
    public var hint: String

    public init(kind: Kind, argument: String? = nil, hint: String) {
        self.kind = kind
        self.argument = argument
        self.hint = hint
    }

    /// Parses `expect http-status 404: Ask for a page that does not exist.`; nil for other lines.
    public init?(line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("expect ") else { return nil }
        // Empty parts kept: `expect :` has an empty part before the colon, not none.
        let parts = trimmed.dropFirst(7).split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let words = parts[0].split(separator: " ")
        guard let first = words.first, let kind = Kind(rawValue: String(first)) else { return nil }
        self.kind = kind
        argument = words.count > 1 ? words.dropFirst().joined(separator: " ") : nil
        hint = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
    }

    public var number: Int { argument.flatMap { Int($0) } ?? 1 }

    /// A readable name: "an HTTP response with status 404".
    public var summary: String {
        switch kind {
        case .handshake: "a complete three-way handshake (三次握手)"
        case .teardown: "a teardown with a FIN from each side (四次挥手)"
        case .timeWait: "an endpoint in TIME-WAIT"
        case .reset: "a connection reset (RST)"
        case .refused: "a refused connection (SYN answered by RST)"
        case .httpRequest: "an HTTP \(argument ?? "") request"
        case .httpStatus: "an HTTP response with status \(argument ?? "?")"
        case .httpHeader: "an HTTP message with a \(argument ?? "?") header"
        case .keepAlive: "two or more HTTP requests on one connection (keep-alive)"
        case .connections: "\(number) TCP connection\(number == 1 ? "" : "s")"
        case .concurrent: "\(number) TCP connections open at the same time"
        case .servedConcurrently: "a response served while \(number) connections were open (并发)"
        case .udpDatagrams: "\(number) UDP datagram\(number == 1 ? "" : "s")"
        case .portUnreachable: "an ICMP port unreachable"
        case .dataSegments: "\(number) data segments from one side of a connection"
        }
    }

    /// Whether the capture shows it, and what was found (to print either way).
    public func evaluate(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let connections = facts.connections
        switch kind {
        case .handshake:
            guard let connection = connections.first(where: \.handshakeComplete) else {
                let partial = connections.first { $0.synSeen }
                return (false, partial == nil ? "no SYN at all" : "a SYN, but not the whole handshake")
            }
            return (true, "stream \(connection.stream): \(connection.client) → \(connection.server)")
        case .teardown:
            guard let connection = connections.first(where: { $0.finFrom.count == 2 }) else {
                let one = connections.first { !$0.finFrom.isEmpty }
                return (false, one == nil ? "no FIN" : "a FIN from one side only")
            }
            let first = connection.firstToClose.map { "the \($0.rawValue) closed first" } ?? ""
            return (true, "stream \(connection.stream): \(first)")
        case .timeWait:
            guard
                let connection = connections.first(where: {
                    $0.clientStates.contains(.timeWait) || $0.serverStates.contains(.timeWait)
                })
            else { return (false, "no endpoint reached TIME-WAIT") }
            let side = connection.clientStates.contains(.timeWait) ? "client" : "server"
            return (true, "the \(side) of stream \(connection.stream) waits in TIME-WAIT")
        case .reset:
            let resets = connections.filter(\.reset)
            return (!resets.isEmpty, "\(resets.count) connection\(resets.count == 1 ? "" : "s") reset")
        case .refused:
            let refused = connections.filter { $0.reset && $0.synSeen && !$0.clientStates.contains(.established) }
            return (!refused.isEmpty, refused.isEmpty ? "no SYN answered by RST" : "\(refused.count) refused")
        case .httpRequest:
            let wanted = argument?.split(separator: " ").map(String.init) ?? []
            let messages = facts.http.filter { !$0.isMalformed }
            let matches = messages.filter { message in
                guard let method = message.head?.method else { return false }
                if let name = wanted.first, name != method { return false }
                if wanted.count > 1, message.head?.target != wanted[1] { return false }
                return true
            }
            let methods = Set(messages.compactMap { $0.head?.method }).sorted()
            let seen = "requests seen: \(methods.isEmpty ? "none" : methods.joined(separator: ", "))"
            return (!matches.isEmpty, seen + Self.malformedNote(facts.http))
        case .httpStatus:
            let statuses = facts.http.filter { !$0.isMalformed }.compactMap { $0.head?.status }
            let passed = statuses.contains { String($0) == argument }
            let seen = Set(statuses).sorted().map(String.init)
            let detail = "statuses seen: \(seen.isEmpty ? "none" : seen.joined(separator: ", "))"
            return (passed, detail + Self.malformedNote(facts.http))
        case .httpHeader:
            let name = argument ?? ""
            let passed = facts.http.contains { !$0.isMalformed && $0.head?.has(name) == true }
            return (passed, (passed ? "found" : "no message carried \(name)") + Self.malformedNote(facts.http))
        case .keepAlive:
            let most = connections.map(\.httpRequests).max() ?? 0
            return (most >= 2, "at most \(most) request\(most == 1 ? "" : "s") on one connection")
        case .connections:
            return (connections.count >= number, "\(connections.count) connection\(connections.count == 1 ? "" : "s")")
        case .concurrent:
            let most = facts.maxConcurrent
            return (most >= number, "at most \(most) open at once")
        case .servedConcurrently:
            let (most, late) = facts.concurrentService
            var found = "at most \(most) connection\(most == 1 ? "" : "s") open when a response was served in time"
            if late > 0 {
                found +=
                    "; \(late) response\(late == 1 ? "" : "s") came after the client had given up (FIN or RST "
                    + "first): a server that serves one client at a time"
            }
            return (most >= number, found)
        case .udpDatagrams:
            return (facts.udpDatagrams >= number, "\(facts.udpDatagrams) datagram\(facts.udpDatagrams == 1 ? "" : "s")")
        case .portUnreachable:
            return (facts.portUnreachable > 0, "\(facts.portUnreachable) ICMP port unreachable")
        case .dataSegments:
            let most = connections.flatMap { $0.dataSegments.values }.max() ?? 0
            return (most >= number, "at most \(most) data segments from one side")
        }
    }
}

/// The verdict on a capture for one lesson.
public struct LessonVerdict: Sendable {
    public var results: [(expectation: Expectation, passed: Bool, found: String)]
    public var passed: Bool { results.allSatisfy(\.passed) }

    public init(lesson: Lesson, facts: CaptureFacts) {
        results = lesson.expectations.map { expectation in
            let (passed, found) = expectation.evaluate(facts)
            return (expectation, passed, found)
        }
    }

    /// One line per expectation, then what to do about the missing ones.
    public var lines: [String] {
        var lines = results.map { "\($0.passed ? "✓" : "✗") \($0.expectation.summary) — \($0.found)" }
        let missing = results.filter { !$0.passed }
        if missing.isEmpty {
            lines.append("All \(results.count) checks pass.")
        } else {
            lines.append("\(missing.count) of \(results.count) missing. What to do:")
            for result in missing where !result.expectation.hint.isEmpty {
                lines.append("  • \(result.expectation.hint)")
            }
        }
        return lines
    }
}

extension Expectation {
    /// Malformed HTTP messages do not count for the HTTP checks; the check's detail says which
    /// broke, why (the rule) and where, and what a strict server would refuse.
    static func malformedNote(_ messages: [HTTPConversation.Message]) -> String {
        var notes: [String] = []
        for message in messages {
            let what = message.kind == .request ? "request" : "response"
            if let error = message.error {
                notes.append(
                    "malformed \(what) in stream \(message.stream): \(error.reason) (\(error.rule), byte "
                        + "\(error.offset), frame \(message.errorFrame ?? message.lastFrame))")
            }
            for item in message.warnings {
                notes.append(
                    "\(what) in stream \(message.stream): \(item.warning.reason); a strict server refuses it "
                        + "(\(item.warning.rule), frame \(item.frame))")
            }
        }
        return notes.isEmpty ? "" : "; " + notes.prefix(3).joined(separator: "; ")
    }
}
