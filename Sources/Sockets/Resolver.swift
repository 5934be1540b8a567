// CSockets includes <sys/socket.h>; once any file of this module imports it, Swift finds the
// SOCK_* constants through it, so every file that names them imports it too.
import CSockets

#if canImport(Glibc)
    import Glibc
#endif

/// Names to addresses with getaddrinfo(3), the call every client makes before connect.
public enum Resolver {
    public enum SocketType: Sendable, Hashable, CustomStringConvertible {
        case stream, datagram, raw, other(Int32)
        init(_ value: Int32) {
            switch value {
            case Int32(SOCK_STREAM.rawValue): self = .stream
            case Int32(SOCK_DGRAM.rawValue): self = .datagram
            case Int32(SOCK_RAW.rawValue): self = .raw
            default: self = .other(value)
            }
        }
        var rawValue: Int32 {
            switch self {
            case .stream: Int32(SOCK_STREAM.rawValue)
            case .datagram: Int32(SOCK_DGRAM.rawValue)
            case .raw: Int32(SOCK_RAW.rawValue)
            case .other(let value): value
            }
        }
        public var description: String {
            switch self {
            case .stream: "SOCK_STREAM"
            case .datagram: "SOCK_DGRAM"
            case .raw: "SOCK_RAW"
            case .other(let value): "socktype \(value)"
            }
        }
    }

    /// One `struct addrinfo` from the list getaddrinfo returns.
    public struct Entry: Sendable, Equatable {
        public var address: SocketAddress
        public var socketType: SocketType
        /// IPPROTO_TCP (6), IPPROTO_UDP (17), …
        public var protocolNumber: Int32
        public var canonicalName: String?

        public var protocolName: String {
            switch protocolNumber {
            case Int32(IPPROTO_TCP): "tcp"
            case Int32(IPPROTO_UDP): "udp"
            case 0: "any"
            default: "protocol \(protocolNumber)"
            }
        }
    }

    public enum FamilyFilter: Sendable { case any, inet, inet6 }

    /// getaddrinfo(host, service) with the given hints. `passive`: addresses to bind (AI_PASSIVE);
    /// `type` nil asks for every socket type. Errors carry gai_strerror's text.
    public static func resolve(
        _ host: String?, service: String?, type: SocketType? = .stream, family: FamilyFilter = .any,
        passive: Bool = false, canonicalName: Bool = false
    ) throws(SocketError) -> [Entry] {
        var hints = addrinfo()
        hints.ai_family =
            switch family {
            case .any: AF_UNSPEC
            case .inet: AF_INET
            case .inet6: AF_INET6
            }
        hints.ai_socktype = type?.rawValue ?? 0
        if passive { hints.ai_flags |= AI_PASSIVE }
        if canonicalName { hints.ai_flags |= AI_CANONNAME }
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, service, &hints, &list)
        guard status == 0, let first = list else {
            let what = [host, service].compactMap { $0 }.joined(separator: " ")
            var detail = String(cString: gai_strerror(status))
            if status == EAI_SYSTEM { detail += " (\(String(cString: strerror(errno))))" }
            throw SocketError.nameResolution(what, detail: detail, code: status == EAI_SYSTEM ? errno : 0)
        }
        defer { freeaddrinfo(first) }
        var entries: [Entry] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            let info = current.pointee
            if let raw = info.ai_addr,
                let address = SocketAddress(bytes: UnsafeRawBufferPointer(start: raw, count: Int(info.ai_addrlen)))
            {
                entries.append(
                    Entry(
                        address: address, socketType: SocketType(info.ai_socktype), protocolNumber: info.ai_protocol,
                        canonicalName: info.ai_canonname.map { String(cString: $0) }))
            }
            node = info.ai_next
        }
        return entries
    }
}
