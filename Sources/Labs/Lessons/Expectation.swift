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
        /// One TCP connection carrying at least N (default 2) HTTP requests, each answered.
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
        /// A connection on which the server sent back exactly the bytes the client sent (both
        /// directions reassembled, no hole), at least N of them: an echo, byte for byte.
        case echoed
        /// One direction of a connection carried at least N bytes in order, with no hole in
        /// the capture, and ended with a FIN: TCP delivered all of it.
        case tcpDelivered = "tcp-delivered"
        /// The client's bytes of a connection are whole messages in this framing (`file`:
        /// netlab send-file's length-prefixed JSON header then exactly `size` bytes, SHA-256
        /// checked, and the receiver's framed `ok` reply; `length`, `json-header`, `delimiter`:
        /// the stick demo's framings): nothing unframed, nothing cut off.
        case framed
        /// `METHOD TARGET STATUS [VERSION]`: that request answered, on its own connection and
        /// in order, with that status (and that version in the status line).
        case httpExchange = "http-exchange"
        /// At least N datagrams to a port no ICMP port unreachable names: a port with a receiver.
        case udpToOpenPort = "udp-to-open-port"
        /// At least N datagrams went into a relay (a port whose datagrams reappear, the same
        /// bytes, sent to another port) and never came out: UDP lost them and nobody resent.
        case udpLost = "udp-lost"
        // lessons 15–17 (their arguments, names and verdicts: Expectation+HTTPDepth.swift)
        /// A request sent back, in its Cookie header, a `name=value` an earlier response set.
        case cookieReturned = "cookie-returned"
        /// `request` or `response`: a body of that side with non-ASCII text in valid UTF-8,
        /// its Content-Type naming charset=utf-8.
        case utf8Text = "utf8-text"
        /// At least N connections whose responses (sent in time) span overlapping intervals.
        case servedOverlapping = "served-overlapping"
        // lessons 18–20
        /// Some side advertised a window of 0: its receive buffer was full (flow control).
        case zeroWindow = "zero-window"
        /// After a zero window, the other side probed it and was answered.
        case windowProbe = "window-probe"
        /// A SYN offering this MSS (1460 on an Ethernet-sized path, 65495 on loopback).
        case mss
        /// One side of a connection retransmitted at least N data segments.
        case retransmissions
        /// One side sent at least N data segments, none larger than the MSS its peer offered.
        case segmentsWithinMSS = "segments-within-mss"
        // lessons 11–14 (their arguments, summaries and verdicts: Expectation+Lessons11to14.swift)
        /// A new connection accepted on a port whose server side was still in TIME-WAIT (it
        /// closed first, less than 60 s before): the restarted server bound it (SO_REUSEADDR).
        case addressReused = "address-reused"
        /// A connection that arrived while another held the server, answered only after that
        /// one ended, still in time: it waited, handshake done, in the listen (accept) queue.
        case acceptQueued = "accept-queued"
        /// At least N lines a chat client sent (after its nickname) arrived whole, newline and
        /// all, at another client.
        case broadcast
        /// At least N ICMP echo requests answered by an echo reply with the same identifier
        /// and sequence number.
        case pingAnswered = "ping-answered"
        /// At least N DNS queries answered by a response with the same id and question.
        case dnsAnswered = "dns-answered"
        /// A DNS response with this rcode (NOERROR, NXDOMAIN, …) to a query in the capture.
        case dnsRcode = "dns-rcode"
        /// A DNS answer that follows a CNAME to a record of its target.
        case dnsCNAME = "dns-cname"
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
        if argumentProblem != nil { return nil }
    }

    /// Why a check-block line is not a check (nil when it is one): an unknown kind, or an
    /// argument the kind cannot use. A typo must be an error, never a check silently dropped.
    public static func problem(line: String) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        let known = Kind.allCases.map(\.rawValue).joined(separator: ", ")
        let form = "(a check is `expect KIND [ARG]: hint`, KIND one of \(known))"
        guard trimmed.hasPrefix("expect ") else { return "not a check: '\(trimmed)' \(form)" }
        let head = trimmed.dropFirst(7).split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let words = head.split(separator: " ")
        guard let first = words.first, let kind = Kind(rawValue: String(first)) else {
            return "not a check: '\(trimmed)' \(form)"
        }
        let argument = words.count > 1 ? words.dropFirst().joined(separator: " ") : nil
        let expectation = Expectation(kind: kind, argument: argument, hint: "")
        return expectation.argumentProblem.map { "bad check: '\(trimmed)': \($0)" }
    }

    /// What is wrong with the argument for this kind, if anything.
    public var argumentProblem: String? {
        let words = argument?.split(separator: " ").map(String.init) ?? []
        switch kind {
        case .connections, .concurrent, .servedConcurrently, .udpDatagrams, .dataSegments, .keepAlive, .echoed,
            .tcpDelivered, .udpToOpenPort, .udpLost:
            guard let argument else { return nil }
            guard let count = Int(argument), count >= 1 else {
                return "\(kind.rawValue) takes a count of at least 1, not '\(argument)'"
            }
            return kind == .keepAlive && count < 2 ? "keep-alive needs 2 or more requests" : nil
        case .handshake, .teardown, .timeWait, .reset, .refused, .portUnreachable:
            return argument.map { "\(kind.rawValue) takes no argument, not '\($0)'" }
        case .httpStatus:
            guard let argument, let status = Int(argument), (100...999).contains(status) else {
                return "http-status takes a three-digit status code"
            }
            return nil
        case .httpHeader:
            return words.count == 1 ? nil : "http-header takes one field name"
        case .httpRequest:
            return (1...2).contains(words.count) ? nil : "http-request takes METHOD [TARGET]"
        case .httpExchange:
            guard (3...4).contains(words.count), let status = Int(words[2]), (100...999).contains(status) else {
                return "http-exchange takes METHOD TARGET STATUS [VERSION], e.g. GET / 200 HTTP/1.1"
            }
            if words.count == 4, !words[3].hasPrefix("HTTP/") { return "the version is written HTTP/1.1" }
            return nil
        case .cookieReturned, .utf8Text, .servedOverlapping:
            return depthArgumentProblem(words)
        case .zeroWindow, .windowProbe, .mss, .retransmissions, .segmentsWithinMSS: return dynamicsArgumentProblem
        case .addressReused, .acceptQueued, .broadcast, .pingAnswered, .dnsAnswered, .dnsRcode, .dnsCNAME:
            return lessons11to14ArgumentProblem(words)
        case .framed:
            let schemes = FramingScheme.allCases.map(\.rawValue)
            guard words.count == 1, FramingScheme(rawValue: words[0]) != nil else {
                return "framed takes one of \(schemes.joined(separator: ", "))"
            }
            return nil
        }
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
        case .echoed: "the bytes echoed equal the bytes sent (回显)"
        case .tcpDelivered: "\(number) bytes delivered by TCP in order, with no hole, then FIN"
        case .framed: "every message framed (\(FramingScheme(rawValue: argument ?? "")?.name ?? "?")) and whole (分帧)"
        case .httpExchange: "\(exchangeWords.request) answered with \(exchangeWords.response)"
        case .udpToOpenPort: "\(number) UDP datagram\(number == 1 ? "" : "s") to a port with a receiver"
        case .udpLost: "\(number) UDP datagram\(number == 1 ? "" : "s") lost in the relay and never resent (丢包)"
        case .cookieReturned, .utf8Text, .servedOverlapping: depthSummary
        case .zeroWindow, .windowProbe, .mss, .retransmissions, .segmentsWithinMSS: dynamicsSummary
        case .addressReused, .acceptQueued, .broadcast, .pingAnswered, .dnsAnswered, .dnsRcode, .dnsCNAME:
            lessons11to14Summary
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
            // A polite close: a FIN each way, and no RST cutting it short.
            guard let connection = connections.first(where: { $0.finFrom.count == 2 && !$0.reset }) else {
                if let reset = connections.first(where: { $0.finFrom.count == 2 }) {
                    return (false, "stream \(reset.stream) has a FIN from each side, but ended with RST")
                }
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
            let ports = Set(refused.map(\.serverPort)).sorted().map(String.init)
            return (
                !refused.isEmpty,
                refused.isEmpty
                    ? "no SYN answered by RST" : "\(refused.count) refused (port \(ports.joined(separator: ", ")))"
            )
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
            return evaluateKeepAlive(facts)
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
            let ports = Set(facts.unreachablePorts.compactMap { $0 }).sorted().map(String.init)
            let quoted = ports.isEmpty ? "" : ", quoting a datagram to port \(ports.joined(separator: ", "))"
            return (facts.portUnreachable > 0, "\(facts.portUnreachable) ICMP port unreachable" + quoted)
        case .dataSegments:
            let most = connections.flatMap { $0.dataSegments.values }.max() ?? 0
            return (most >= number, "at most \(most) data segments from one side")
        case .echoed: return evaluateEcho(facts)
        case .tcpDelivered: return evaluateDelivered(facts)
        case .framed: return evaluateFraming(facts)
        case .httpExchange: return evaluateExchange(facts)
        case .udpToOpenPort: return evaluateOpenPort(facts)
        case .udpLost: return evaluateLoss(facts)
        case .cookieReturned, .utf8Text, .servedOverlapping: return evaluateDepth(facts)
        case .zeroWindow, .windowProbe, .mss, .retransmissions, .segmentsWithinMSS: return evaluateDynamics(facts)
        case .addressReused, .acceptQueued, .broadcast, .pingAnswered, .dnsAnswered, .dnsRcode, .dnsCNAME:
            return evaluateLessons11to14(facts)
        }
    }
}

/// The verdict on a capture for one lesson.
public struct LessonVerdict: Sendable {
    public var results: [(expectation: Expectation, passed: Bool, found: String)]
    public var passed: Bool { results.allSatisfy(\.passed) }
    /// Connections with bytes the capture missed (stream, bytes never seen): the capture is incomplete.
    public var incomplete: [(stream: Int, missing: Int)]

    public init(lesson: Lesson, facts: CaptureFacts) {
        results = lesson.expectations.map { expectation in
            let (passed, found) = expectation.evaluate(facts)
            return (expectation, passed, found)
        }
        incomplete = facts.incompleteConnections.map { ($0.stream, $0.gapBytes.values.reduce(0, +)) }
    }

    /// One line per expectation, then what to do about the missing ones.
    public var lines: [String] {
        var lines = results.map { "\($0.passed ? "✓" : "✗") \($0.expectation.summary) — \($0.found)" }
        if !incomplete.isEmpty {
            // A hole the receiver acknowledged was the capturer's loss, not the network's: say so
            // before anyone blames the program for bytes that did travel.
            let streams = incomplete.map {
                "stream \($0.stream)" + ($0.missing > 0 ? " (\($0.missing) bytes never seen)" : "")
            }
            lines.append(
                "⚠ capture incomplete: in \(streams.joined(separator: ", ")) the programs exchanged bytes this capture "
                    + "never saw (acknowledged, or never resent), so the capturer dropped packets, not the network. "
                    + "Checks on those connections judge the capture, not your programs: record again "
                    + "(sudo netlab lesson record N; a larger -B if the machine is busy).")
        }
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
