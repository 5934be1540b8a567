#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 socket address (`struct sockaddr_in` / `sockaddr_in6` in a
/// `sockaddr_storage`), as bind, connect, accept, sendto and recvfrom take and give them.
public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    var storage: sockaddr_storage
    var length: socklen_t

    public enum Family: Sendable, Equatable, CustomStringConvertible {
        case inet, inet6, other(Int32)
        public var description: String {
            switch self {
            case .inet: "IPv4"
            case .inet6: "IPv6"
            case .other(let value): "family \(value)"
            }
        }
    }

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// Copies a `sockaddr` given as raw bytes (from getaddrinfo).
    init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= MemoryLayout<sockaddr_storage>.size, bytes.count >= 2 else { return nil }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
        self.init(storage: storage, length: socklen_t(bytes.count))
    }

    /// A numeric address: `127.0.0.1`, `::1`, `0.0.0.0`, `::` (no name lookup; see `Resolver`).
    public init?(numeric host: String, port: UInt16) {
        var storage = sockaddr_storage()
        var host = host
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            withUnsafeMutableBytes(of: &storage) { raw in
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = port.bigEndian
                address.sin_addr = v4
                raw.storeBytes(of: address, as: sockaddr_in.self)
            }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in>.size))
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            withUnsafeMutableBytes(of: &storage) { raw in
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = port.bigEndian
                address.sin6_addr = v6
                raw.storeBytes(of: address, as: sockaddr_in6.self)
            }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
        } else {
            return nil
        }
    }

    public var family: Family {
        switch Int32(storage.ss_family) {
        case AF_INET: .inet
        case AF_INET6: .inet6
        case let other: .other(other)
        }
    }

    var rawFamily: Int32 { Int32(storage.ss_family) }

    /// The port, in host order (sin_port and sin6_port sit at the same offset).
    public var port: UInt16 {
        withUnsafeBytes(of: storage) { UInt16($0[2]) << 8 | UInt16($0[3]) }
    }

    /// The address without the port: `127.0.0.1`, `::1` (inet_ntop).
    public var host: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        withUnsafeBytes(of: storage) { raw in
            switch Int32(storage.ss_family) {
            case AF_INET:
                var address = raw.load(as: sockaddr_in.self).sin_addr
                _ = inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
            case AF_INET6:
                var address = raw.load(as: sockaddr_in6.self).sin6_addr
                _ = inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
            default:
                break
            }
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `127.0.0.1:8080` or `[::1]:8080`.
    public var description: String {
        family == .inet6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Calls `body` with the address as the `sockaddr` pointer and length the C calls take.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    /// Fills an address from a call that writes one (accept, getsockname, recvfrom).
    static func filling(_ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32)
        -> (Int32, SocketAddress)
    {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, &length) }
        }
        return (result, SocketAddress(storage: storage, length: length))
    }

    public static func == (a: SocketAddress, b: SocketAddress) -> Bool {
        a.length == b.length
            && withUnsafeBytes(of: a.storage) { ra in
                withUnsafeBytes(of: b.storage) { rb in
                    ra.prefix(Int(a.length)).elementsEqual(rb.prefix(Int(b.length)))
                }
            }
    }
}
