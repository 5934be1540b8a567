/// The UDP checks that follow datagrams by port and by payload.
extension Expectation {
    /// Datagrams to ports that no ICMP port unreachable names: a receiver was there.
    func evaluateOpenPort(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let refused = Set(facts.unreachablePorts.compactMap { $0 })
        var counts: [UInt16: Int] = [:]
        for datagram in facts.datagrams { counts[datagram.destinationPort, default: 0] += 1 }
        let open = counts.filter { !refused.contains($0.key) }
        let best = open.max { ($0.value, $1.key) < ($1.value, $0.key) }
        var found =
            best.map { "\($0.value) datagram\($0.value == 1 ? "" : "s") to port \($0.key), which sent no ICMP error" }
            ?? "no datagram to a port with a receiver"
        let closed = counts.filter { refused.contains($0.key) }.sorted { $0.key < $1.key }
        if !closed.isEmpty {
            found +=
                "; "
                + closed.map { "\($0.value) to port \($0.key), answered by port unreachable" }
                .joined(separator: ", ")
        }
        return ((best?.value ?? 0) >= number, found)
    }

    /// A relay port is one whose datagrams' payloads reappear sent to another port; a datagram
    /// into a relay whose payload never reappears was lost there.
    func evaluateLoss(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        var portsByPayload: [[UInt8]: Set<UInt16>] = [:]
        for datagram in facts.datagrams {
            portsByPayload[datagram.payload, default: []].insert(datagram.destinationPort)
        }
        // The first port a payload went to is the relay's input.
        var firstPort: [[UInt8]: UInt16] = [:]
        for datagram in facts.datagrams where firstPort[datagram.payload] == nil {
            firstPort[datagram.payload] = datagram.destinationPort
        }
        let relays = Set(portsByPayload.filter { $0.value.count > 1 }.compactMap { firstPort[$0.key] })
        guard !relays.isEmpty else {
            return (false, "no relay: no datagram's bytes were seen forwarded to another port")
        }
        var into = 0, lost = 0
        var counted: Set<[UInt8]> = []
        for datagram in facts.datagrams where relays.contains(datagram.destinationPort) {
            guard counted.insert(datagram.payload).inserted else { continue }
            into += 1
            if portsByPayload[datagram.payload]!.count == 1 { lost += 1 }
        }
        let ports = relays.sorted().map(String.init).joined(separator: ", ")
        return (
            lost >= number,
            "\(into) different datagrams into the relay (port \(ports)), \(into - lost) forwarded, \(lost) lost"
        )
    }
}
