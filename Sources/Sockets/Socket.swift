#if canImport(Glibc)
    import Glibc
#endif

/// A TCP socket over the POSIX calls the lessons teach (socket, bind, listen, accept, connect,
/// send, recv, shutdown, close). Owns its descriptor and closes it exactly once. A socket may
/// be handed to another thread, but is used by one thread at a time.
public final class Socket: @unchecked Sendable {
    public private(set) var descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close() }

    public func close() {
        if descriptor >= 0 {
            _ = Glibc.close(descriptor)  // never retried: the descriptor is gone either way
            descriptor = -1
        }
    }

    /// Resolves a numeric or named host with getaddrinfo (TCP, either family).
    static func resolve(_ host: String, port: UInt16, passive: Bool) throws(SocketError) -> [(Int32, [UInt8])] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        if passive { hints.ai_flags = AI_PASSIVE }
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SocketError("getaddrinfo \(host)", code: 0, detail: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var result: [(Int32, [UInt8])] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            let info = current.pointee
            if let address = info.ai_addr {
                let bytes = UnsafeRawBufferPointer(start: address, count: Int(info.ai_addrlen))
                result.append((info.ai_family, Array(bytes)))
            }
            entry = info.ai_next
        }
        return result
    }

    /// socket + setsockopt(SO_REUSEADDR) + bind + listen. Port 0 picks an ephemeral port.
    public static func listen(host: String = "127.0.0.1", port: UInt16 = 0, backlog: Int32 = 128)
        throws(SocketError) -> Socket
    {
        var lastError = SocketError("bind \(host):\(port)", code: EADDRNOTAVAIL)
        for (family, address) in try resolve(host, port: port, passive: true) {
            let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SocketError("socket") }
            let socket = Socket(descriptor: fd)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound = address.withUnsafeBytes { raw in
                bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
            guard bound == 0 else {
                lastError = SocketError("bind \(host):\(port)")
                continue
            }
            guard Glibc.listen(fd, backlog) == 0 else { throw SocketError("listen") }
            return socket
        }
        throw lastError
    }

    /// socket + connect, trying each address getaddrinfo returns.
    public static func connect(host: String, port: UInt16) throws(SocketError) -> Socket {
        var lastError = SocketError("connect \(host):\(port)", code: EHOSTUNREACH)
        for (family, address) in try resolve(host, port: port, passive: false) {
            let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SocketError("socket") }
            let socket = Socket(descriptor: fd)
            let status = address.withUnsafeBytes { raw in
                Glibc.connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
            if status == 0 { return socket }
            lastError = SocketError("connect \(host):\(port)")
        }
        throw lastError
    }

    /// accept, retried on EINTR.
    public func accept() throws(SocketError) -> Socket {
        while true {
            let fd = Glibc.accept(descriptor, nil, nil)
            if fd >= 0 { return Socket(descriptor: fd) }
            if errno != EINTR { throw SocketError("accept") }
        }
    }

    /// The local port (after binding to port 0).
    public var localPort: UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return withUnsafeBytes(of: storage) { raw in
            UInt16(raw[2]) << 8 | UInt16(raw[3])  // sin_port / sin6_port, network order, same offset
        }
    }

    /// Sends every byte, looping over short writes (send may take fewer than asked).
    public func sendAll(_ bytes: [UInt8]) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                throw SocketError("send")
            }
            offset += sent
        }
    }

    /// One recv of at most `limit` bytes; empty at end of stream.
    public func receive(limit: Int = 65536) throws(SocketError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: limit)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, limit, 0) }
            if count >= 0 { return Array(buffer[..<count]) }
            if errno != EINTR { throw SocketError("recv") }
        }
    }

    /// SO_RCVTIMEO / SO_SNDTIMEO: a blocked recv or send fails with EAGAIN after this long.
    public func setTimeout(seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// shutdown(SHUT_WR): "I have nothing more to send" — the peer reads end of stream (a FIN).
    public func shutdownWrite() { _ = shutdown(descriptor, Int32(SHUT_WR)) }
}
