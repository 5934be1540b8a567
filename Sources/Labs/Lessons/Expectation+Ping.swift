/// Lesson 13's check: echo requests and the replies that answer them.
extension Expectation {
    /// A reply answers a request when it comes back from the address the request went to, to
    /// the address it came from, with the same identifier and sequence number.
    func evaluatePing(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let requests = facts.icmpEchoes.filter(\.isRequest)
        let replies = facts.icmpEchoes.filter { !$0.isRequest }
        var answered = 0
        var unanswered: [String] = []
        for request in requests {
            let reply = replies.first {
                $0.frame > request.frame && $0.identifier == request.identifier && $0.sequence == request.sequence
                    && $0.source == request.destination && $0.destination == request.source
            }
            if reply != nil {
                answered += 1
            } else {
                unanswered.append("id \(request.identifier) seq \(request.sequence)")
            }
        }
        guard !requests.isEmpty else { return (false, "no ICMP echo request in the capture") }
        var found = "\(requests.count) echo request\(requests.count == 1 ? "" : "s"), \(answered) answered"
        if !unanswered.isEmpty {
            found +=
                "; no reply to \(unanswered.prefix(3).joined(separator: ", "))\(unanswered.count > 3 ? ", …" : "")"
                + " (the destination did not answer: icmp_echo_ignore_all, a firewall, or the capture stopped early)"
        }
        return (answered >= number, found)
    }
}
