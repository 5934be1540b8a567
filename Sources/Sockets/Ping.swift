import CSockets
import Inspect

#if canImport(Glibc)
    import Glibc
#endif

/// ICMP echo (ping) over the socket Linux allows: an unprivileged ICMP datagram socket when the
/// user's group is in `net.ipv4.ping_group_range` (the kernel then fills in the identifier and
/// the checksum, and hands back only this socket's replies), else a raw socket (root or
/// CAP_NET_RAW: every ICMP message of the host arrives, and replies are picked by identifier).
public final class Pinger {
    public enum Mode: Sendable, CustomStringConvertible {
        case datagram, raw
        public var description: String {
            switch self {
            case .datagram: "an unprivileged ICMP datagram socket (SOCK_DGRAM)"
            case .raw: "a raw ICMP socket (SOCK_RAW: root or CAP_NET_RAW)"
            }
        }
    }

    public struct Reply: Sendable {
        public enum Kind: Sendable, Equatable {
            case echoReply
            /// An ICMP error about one of our requests: destination unreachable, time exceeded…
            case error(type: UInt8, code: UInt8)
        }
        public var kind: Kind
        public var sequence: UInt16
        public var from: SocketAddress
        /// The reply's TTL (IPv4) or hop limit (IPv6), when the kernel said.
        public var hopLimit: Int?
        /// The ICMP message as received (header and data).
        public var message: [UInt8]
        public var receivedAt: Double
    }

    public enum Problem: Error, CustomStringConvertible {
        /// Neither socket kind is allowed for this user.
        case notPermitted(groupRange: String)
        case socket(SocketError)
        public var description: String {
            switch self {
            case .notPermitted(let range):
                "ping needs an ICMP socket, and this user may open neither kind: unprivileged ICMP sockets are "
                    + "off for this user's group (net.ipv4.ping_group_range = \(range)) and a raw socket needs root "
                    + "or CAP_NET_RAW. Run it with sudo, or let every group ping: "
                    + "sudo sysctl -w net.ipv4.ping_group_range='0 2147483647'"
            case .socket(let error): error.description
            }
        }
    }

    public let address: SocketAddress
    public let mode: Mode
    /// The echo identifier: for a datagram socket the kernel's (its local "port"), for a raw
    /// socket our process id's low 16 bits, as ping does.
    public private(set) var identifier: UInt16
    private let socket: Socket
    private var ipv6: Bool { address.family == .inet6 }

    public init(address: SocketAddress, ttl: Int? = nil) throws(Problem) {
        self.address = address
        let inet6 = address.family == .inet6
        let domain = inet6 ? AF_INET6 : AF_INET
        let proto = inet6 ? Int32(IPPROTO_ICMPV6) : Int32(IPPROTO_ICMP)
        var fd = Glibc.socket(domain, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
        var mode = Mode.datagram
        if fd < 0 {
            let datagramErrno = errno
            fd = Glibc.socket(domain, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
            mode = .raw
            if fd < 0 {
                if (errno == EPERM || errno == EACCES) && (datagramErrno == EACCES || datagramErrno == EPERM) {
                    throw .notPermitted(groupRange: Pinger.groupRange)
                }
                throw .socket(SocketError("socket(ICMP)"))
            }
        }
        socket = Socket(descriptor: fd)
        self.mode = mode
        identifier = UInt16(truncatingIfNeeded: getpid())
        _ = netlab_request_hop_limit(fd, domain)
        if let ttl {
            var value = Int32(ttl)
            let status =
                inet6
                ? setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, &value, socklen_t(MemoryLayout<Int32>.size))
                : setsockopt(fd, Int32(IPPROTO_IP), IP_TTL, &value, socklen_t(MemoryLayout<Int32>.size))
            if status != 0 { throw .socket(SocketError("setsockopt TTL \(ttl)")) }
        }
        if mode == .datagram {
            // The kernel picks the identifier when the socket is bound (on the first send, or now).
            var any = inet6 ? SocketAddress(numeric: "::", port: 0)! : SocketAddress(numeric: "0.0.0.0", port: 0)!
            do {
                try socket.bind(any)
            } catch {
                throw .socket(error)
            }
            any = socket.localAddress ?? any
            identifier = any.port
        }
    }

    /// The current `net.ipv4.ping_group_range` (for the message when ICMP sockets are refused).
    static var groupRange: String {
        guard let file = fopen("/proc/sys/net/ipv4/ping_group_range", "r") else { return "unknown" }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, 64, file) != nil else { return "unknown" }
        return String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .replacingTabsAndNewlines
    }

    /// The echo request's bytes: type, code, checksum, identifier, sequence, then `payloadSize`
    /// bytes (an 8-byte send time, then the counting pattern ping uses).
    public func request(sequence: UInt16, payloadSize: Int) -> [UInt8] {
        var bytes: [UInt8] = [ipv6 ? 128 : ICMPHeader.echoRequest, 0, 0, 0]
        bytes += [UInt8(identifier >> 8), UInt8(identifier & 0xFF), UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        var payload = [UInt8](repeating: 0, count: payloadSize)
        let microseconds = UInt64(Clock.wall * 1_000_000)
        for index in 0..<payloadSize {
            payload[index] =
                index < 8
                ? UInt8(truncatingIfNeeded: microseconds >> (56 - 8 * UInt64(index))) : UInt8(truncatingIfNeeded: index)
        }
        bytes += payload
        // ICMPv6's checksum covers a pseudo-header the kernel knows and fills in; ICMP's is ours.
        if !ipv6 {
            let sum = bytes.withUnsafeBytes { InternetChecksum.compute(ByteView($0)) }
            bytes[2] = UInt8(sum >> 8)
            bytes[3] = UInt8(sum & 0xFF)
        }
        return bytes
    }

    /// Sends one echo request; the time it left.
    public func send(_ bytes: [UInt8]) throws(SocketError) -> Double {
        let sent = address.withSockaddr { pointer, length in
            bytes.withUnsafeBytes { sendto(socket.descriptor, $0.baseAddress, $0.count, 0, pointer, length) }
        }
        let now = Clock.now
        if sent < 0 { throw SocketError("sendto \(address.host)") }
        return now
    }

    /// The next reply to one of our requests (an echo reply or an ICMP error quoting one), or nil
    /// when `timeout` passes first. Other ICMP traffic (a raw socket sees all of it) is skipped.
    public func receive(timeout: Double) throws(SocketError) -> Reply? {
        let deadline = Clock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let remaining = deadline - Clock.now
            guard remaining > 0, try socket.wait(for: .readable, timeout: remaining) else { return nil }
            var hopLimit: Int32 = -1
            let (count, from) = SocketAddress.filling { pointer, length in
                Int32(
                    buffer.withUnsafeMutableBytes {
                        netlab_receive_with_hop_limit(
                            socket.descriptor, $0.baseAddress, $0.count, pointer, length, &hopLimit)
                    })
            }
            let receivedAt = Clock.now
            if count == -EINTR || count == -EAGAIN { continue }
            if count < 0 { throw SocketError("recvmsg", code: -count) }
            var message = Array(buffer[0..<Int(count)])
            var hop: Int? = hopLimit >= 0 ? Int(hopLimit) : nil
            // A raw IPv4 socket hands over the IP header too; the TTL is in it.
            if mode == .raw && !ipv6 {
                guard let first = message.first, first >> 4 == 4 else { continue }
                let headerLength = Int(first & 0x0F) * 4
                guard message.count >= headerLength + 8 else { continue }
                hop = Int(message[8])
                message.removeFirst(headerLength)
            }
            if let reply = match(message, from: from, hopLimit: hop, receivedAt: receivedAt) { return reply }
        }
    }

    /// Our echo reply, or an error quoting our echo request; nil for anything else.
    private func match(_ message: [UInt8], from: SocketAddress, hopLimit: Int?, receivedAt: Double) -> Reply? {
        guard message.count >= 8 else { return nil }
        let type = message[0], code = message[1]
        let identifier = UInt16(message[4]) << 8 | UInt16(message[5])
        let sequence = UInt16(message[6]) << 8 | UInt16(message[7])
        let echoReply: UInt8 = ipv6 ? 129 : ICMPHeader.echoReply
        if type == echoReply {
            // A datagram socket only receives its own; the kernel rewrote the identifier.
            guard mode == .datagram || identifier == self.identifier else { return nil }
            return Reply(
                kind: .echoReply, sequence: sequence, from: from, hopLimit: hopLimit, message: message,
                receivedAt: receivedAt)
        }
        let isError = ipv6 ? (type >= 1 && type <= 4) : ICMPHeader.isError(type)
        guard isError else { return nil }
        // The error quotes our packet: its IP header, then our echo request's first 8 bytes.
        let quotedStart = 8
        guard message.count > quotedStart else { return nil }
        let quotedHeader = ipv6 ? 40 : Int(message[quotedStart] & 0x0F) * 4
        let echo = quotedStart + quotedHeader
        guard message.count >= echo + 8 else { return nil }
        let quotedType = message[echo]
        let quotedIdentifier = UInt16(message[echo + 4]) << 8 | UInt16(message[echo + 5])
        guard quotedType == (ipv6 ? 128 : ICMPHeader.echoRequest),
            mode == .datagram || quotedIdentifier == self.identifier
        else { return nil }
        return Reply(
            kind: .error(type: type, code: code), sequence: UInt16(message[echo + 6]) << 8 | UInt16(message[echo + 7]),
            from: from, hopLimit: hopLimit, message: message, receivedAt: receivedAt)
    }
}

extension String {
    fileprivate var replacingTabsAndNewlines: String {
        String(self.compactMap { $0 == "\t" ? " " : $0 == "\n" ? nil : $0 })
    }
}
