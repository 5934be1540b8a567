import ArgumentParser
import Inspect
import ProcessControl
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send ICMP echo requests (ping) and show the replies: round trip, TTL, errors.",
        discussion: """
            Each request is an ICMP echo request (type 8; ICMPv6 type 128) carrying an identifier
            and a sequence number; the destination's kernel answers with an echo reply (type 0;
            ICMPv6 129) quoting both. Routers on the way answer instead with an ICMP error when
            the TTL runs out (time exceeded) or the destination cannot be reached.

            netlab uses an unprivileged ICMP datagram socket when the system allows it (sysctl
            net.ipv4.ping_group_range includes your group), else a raw socket, which needs root;
            it says which. --show prints each request and reply field by field.

            Exit status: 0 when a reply came, 75 when none did, 69 when the destination is
            unreachable, 77 when no ICMP socket is allowed.

            Examples:
              sudo netlab ping 127.0.0.1
              sudo netlab ping ::1 -c 2 --show
              sudo netlab ping 127.0.0.1 -c 5 -i 0.2 --ttl 1
              sudo netlab sniff lo icmp            # in another terminal: the same packets
            """
    )

    @Argument(help: "Host name or numeric address (IPv4 or IPv6).")
    var host: String

    @Option(name: [.customShort("c"), .long], help: "Requests to send (Ctrl-C stops earlier).")
    var count = 4

    @Option(name: [.customShort("i"), .long], help: "Seconds between requests.")
    var interval = 1.0

    @Option(name: [.customShort("W"), .long], help: "Seconds to wait for the last reply.")
    var timeout = 1.0

    @Option(name: [.customShort("s"), .long], help: "Bytes of data after the 8-byte ICMP header.")
    var size = 56

    @Option(name: [.customShort("t"), .long], help: "TTL (hop limit) of the requests.")
    var ttl: Int?

    @Flag(help: "Use IPv6 (with a name that has both).")
    var six = false

    @Flag(help: "Print each request and reply field by field.")
    var show = false

    func validate() throws {
        guard (1...100_000).contains(count) else { throw ValidationError("-c must be between 1 and 100000") }
        guard interval >= 0.01, interval <= 60 else { throw ValidationError("-i must be between 0.01 and 60 seconds") }
        guard timeout > 0, timeout <= 60 else { throw ValidationError("-W must be between 0 and 60 seconds") }
        guard (8...65_000).contains(size) else { throw ValidationError("-s must be between 8 and 65000 bytes") }
        if let ttl, !(1...255).contains(ttl) { throw ValidationError("--ttl must be between 1 and 255") }
    }

    func run() throws {
        let address: SocketAddress
        do {
            let entries = try Resolver.resolve(host, service: nil, type: .datagram, family: six ? .inet6 : .any)
            guard let first = entries.first?.address else {
                throw Failure("\(host) has no address", exitCode: ExitCodes.noHost)
            }
            address = first
        } catch let error as SocketError {
            throw failure(error)
        }
        let pinger: Pinger
        do {
            pinger = try Pinger(address: address, ttl: ttl)
        } catch {
            switch error {
            case .notPermitted: throw Failure(error.description, exitCode: ExitCodes.permission)
            case .socket(let socketError): throw failure(socketError)
            }
        }
        Signals.installStopHandlers()
        let family = address.family == .inet6 ? "ICMPv6" : "ICMP"
        let headerBytes = address.family == .inet6 ? 40 : 20
        Console.output(
            "PING \(host) (\(address.host)): \(size) data bytes, \(size + 8 + headerBytes) bytes per packet with "
                + "the IP header; \(family) identifier \(pinger.identifier), over \(pinger.mode)")
        var statistics = PingStatistics()
        var sentAt: [UInt16: Double] = [:]
        let started = Clock.now
        var unreachable = false
        for index in 0..<count {
            if Signals.stopRequested { break }
            let sequence = UInt16(truncatingIfNeeded: index + 1)
            let request = pinger.request(sequence: sequence, payloadSize: size)
            if show { Console.output(PingText.describe(request, heading: "→ echo request to \(address.host)")) }
            do {
                sentAt[sequence] = try pinger.send(request)
                statistics.transmitted += 1
            } catch {
                Console.output(
                    "icmp_seq=\(sequence) not sent: sendto failed with \(error.name) (\(String(cString: strerror(error.code))))"
                )
                if error.errno == .noRouteToHost || error.errno == .networkUnreachable { unreachable = true }
                statistics.transmitted += 1
            }
            // Wait out the interval (or, after the last, the timeout), taking replies as they come.
            let last = index == count - 1
            let waitUntil = Clock.now + (last ? timeout : interval)
            while !Signals.stopRequested && !(last && sentAt.isEmpty) {
                let remaining = waitUntil - Clock.now
                if remaining <= 0 { break }
                let reply: Pinger.Reply?
                do {
                    reply = try pinger.receive(timeout: min(remaining, 0.25))
                } catch {
                    Console.output("recvmsg: \(error)")
                    if error.errno == .noRouteToHost || error.errno == .networkUnreachable {
                        unreachable = true
                    }
                    continue
                }
                guard let reply else { continue }
                if show { Console.output(PingText.describe(reply.message, heading: "← from \(reply.from.host)")) }
                switch reply.kind {
                case .echoReply:
                    guard let sent = sentAt.removeValue(forKey: reply.sequence) else {
                        Console.output(
                            "\(reply.message.count) bytes from \(reply.from.host): icmp_seq=\(reply.sequence) (DUP or late!)"
                        )
                        statistics.duplicates += 1
                        continue
                    }
                    let milliseconds = (reply.receivedAt - sent) * 1000
                    statistics.record(milliseconds)
                    let hop = reply.hopLimit.map { " \(address.family == .inet6 ? "hlim" : "ttl")=\($0)" } ?? ""
                    Console.output(
                        "\(reply.message.count) bytes from \(reply.from.host): icmp_seq=\(reply.sequence)\(hop) "
                            + "time=\(PingText.milliseconds(milliseconds)) ms")
                case .error(let type, let code):
                    statistics.errors += 1
                    if PingText.isUnreachable(type: type, ipv6: address.family == .inet6) { unreachable = true }
                    Console.output(
                        "From \(reply.from.host) icmp_seq=\(reply.sequence) "
                            + PingText.errorName(type: type, code: code, ipv6: address.family == .inet6))
                }
            }
        }
        let elapsed = (Clock.now - started) * 1000
        Console.output(statistics.summary(host: host, elapsedMilliseconds: elapsed))
        if statistics.received == 0 {
            if unreachable || statistics.errors > 0 {
                throw Failure("\(host) is unreachable", exitCode: ExitCodes.unavailable)
            }
            throw Failure("no reply from \(host)", exitCode: ExitCodes.tempFailure)
        }
    }
}

struct PingStatistics {
    var transmitted = 0
    var received = 0
    var duplicates = 0
    var errors = 0
    var times: [Double] = []

    mutating func record(_ milliseconds: Double) {
        received += 1
        times.append(milliseconds)
    }

    /// ping's closing lines: counts, loss, and min/avg/max/mdev (mdev as iputils computes it:
    /// the standard deviation of the round trips).
    func summary(host: String, elapsedMilliseconds: Double) -> String {
        let loss = transmitted == 0 ? 0 : (transmitted - received) * 100 / transmitted
        var text = "--- \(host) ping statistics ---\n"
        text += "\(transmitted) packets transmitted, \(received) received"
        if duplicates > 0 { text += ", +\(duplicates) duplicates" }
        if errors > 0 { text += ", +\(errors) errors" }
        text += ", \(loss)% packet loss, time \(Int(elapsedMilliseconds))ms"
        guard !times.isEmpty else { return text }
        let mean = times.reduce(0, +) / Double(times.count)
        let deviation = (times.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(times.count)).squareRoot()
        let parts = [times.min()!, mean, times.max()!, deviation].map(PingText.milliseconds)
        text += "\nrtt min/avg/max/mdev = \(parts.joined(separator: "/")) ms"
        return text
    }
}

/// Words and field-by-field views for ICMP echo and error messages.
enum PingText {
    static func milliseconds(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    static func isUnreachable(type: UInt8, ipv6: Bool) -> Bool { ipv6 ? type == 1 : type == 3 }

    static func errorName(type: UInt8, code: UInt8, ipv6: Bool) -> String {
        if ipv6 {
            switch (type, code) {
            case (1, 0): return "Destination unreachable: no route"
            case (1, 1): return "Destination unreachable: administratively prohibited"
            case (1, 3): return "Destination unreachable: address unreachable"
            case (1, 4): return "Destination unreachable: port unreachable"
            case (1, _): return "Destination unreachable (code \(code))"
            case (2, _): return "Packet too big"
            case (3, 0): return "Time exceeded: hop limit reached in transit"
            case (3, _): return "Time exceeded: fragment reassembly"
            default: return "ICMPv6 type \(type) code \(code)"
            }
        }
        switch (type, code) {
        case (3, 0): return "Destination Net Unreachable"
        case (3, 1): return "Destination Host Unreachable"
        case (3, 3): return "Destination Port Unreachable"
        case (3, 4): return "Frag needed and DF set"
        case (3, 13): return "Communication administratively prohibited"
        case (3, _): return "Destination unreachable (code \(code))"
        case (11, 0): return "Time to live exceeded"
        case (11, _): return "Frag reassembly time exceeded"
        case (12, _): return "Parameter problem"
        default: return "ICMP type \(type) code \(code)"
        }
    }

    /// The header fields one per line, then the data's first bytes.
    static func describe(_ message: [UInt8], heading: String) -> String {
        guard message.count >= 8 else { return "\(heading): \(message.count) bytes (too short for ICMP)" }
        let type = message[0]
        let names: [UInt8: String] = [
            0: "echo reply", 3: "destination unreachable", 8: "echo request", 11: "time exceeded",
            128: "ICMPv6 echo request", 129: "ICMPv6 echo reply", 1: "ICMPv6 destination unreachable",
        ]
        func hex16(_ offset: Int) -> String {
            let value = UInt16(message[offset]) << 8 | UInt16(message[offset + 1])
            let digits = String(value, radix: 16)
            return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
        }
        let identifier = UInt16(message[4]) << 8 | UInt16(message[5])
        let sequence = UInt16(message[6]) << 8 | UInt16(message[7])
        var lines = ["\(heading) (\(message.count) bytes of ICMP)"]
        lines.append("    type       \(type) (\(names[type] ?? "other"))")
        lines.append("    code       \(message[1])")
        let kernelFills = message[0] == 128 && message[2] == 0 && message[3] == 0
        lines.append(
            "    checksum   \(hex16(2))"
                + (kernelFills ? " (the kernel computes it: it covers the IPv6 addresses)" : ""))
        lines.append("    identifier \(identifier)")
        lines.append("    sequence   \(sequence)")
        lines.append("    data       \(message.count - 8) bytes: " + PayloadText.quote(message[8...], limit: 24))
        return lines.joined(separator: "\n")
    }
}
