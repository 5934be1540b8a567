/// Arguments, summaries and verdicts of the kinds lessons 11–14 added (address reuse and the
/// listen backlog, chat, ping, DNS), kept out of Expectation.swift so each lesson group's
/// kinds live in their own files.
extension Expectation {
    /// The response codes a `dns-rcode` check names (RFC 1035 §4.1.1, RFC 2136).
    static let dnsRcodes = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]

    func lessons11to14ArgumentProblem(_ words: [String]) -> String? {
        switch kind {
        case .broadcast, .pingAnswered, .dnsAnswered:
            guard let argument else { return nil }
            guard let count = Int(argument), count >= 1 else {
                return "\(kind.rawValue) takes a count of at least 1, not '\(argument)'"
            }
            return nil
        case .dnsRcode:
            guard words.count == 1, Self.dnsRcodes.contains(words[0]) else {
                return "dns-rcode takes one of \(Self.dnsRcodes.joined(separator: ", "))"
            }
            return nil
        default:
            return argument.map { "\(kind.rawValue) takes no argument, not '\($0)'" }
        }
    }

    var lessons11to14Summary: String {
        switch kind {
        case .addressReused: "a new connection on a port still in TIME-WAIT (地址重用, SO_REUSEADDR)"
        case .acceptQueued: "a connection that waited in the listen queue, then was answered (全连接队列)"
        case .broadcast: "\(number) chat line\(number == 1 ? "" : "s") passed whole to another client (广播)"
        case .pingAnswered: "\(number) echo request\(number == 1 ? "" : "s") answered with the same id and seq"
        case .dnsAnswered: "\(number) DNS quer\(number == 1 ? "y" : "ies") answered with the same id and question"
        case .dnsRcode: "a DNS response with rcode \(argument ?? "?")"
        case .dnsCNAME: "a DNS answer that follows a CNAME (别名) to its target"
        default: kind.rawValue
        }
    }

    func evaluateLessons11to14(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        switch kind {
        case .addressReused: evaluateAddressReused(facts)
        case .acceptQueued: evaluateAcceptQueued(facts)
        case .broadcast: evaluateBroadcast(facts)
        case .pingAnswered: evaluatePing(facts)
        case .dnsAnswered: evaluateDNSAnswered(facts)
        case .dnsRcode: evaluateDNSRcode(facts)
        case .dnsCNAME: evaluateDNSCNAME(facts)
        default: (false, "not a lesson 11–14 check")
        }
    }
}
