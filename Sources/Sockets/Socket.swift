import CSockets

#if canImport(Glibc)
    import Glibc
#endif

/// A socket over the POSIX calls the lessons teach (socket, setsockopt, bind, listen, accept,
/// connect, send, recv, sendto, recvfrom, shutdown, close), IPv4 and IPv6, TCP and UDP. Owns its
/// descriptor and closes it exactly once (on `close()` or when the last reference goes). A socket
/// may be handed to another thread, but is used by one thread at a time.
public final class Socket: @unchecked Sendable {
    public private(set) var descriptor: Int32

    public enum Kind: Sendable { case tcp, udp }

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// socket(2): a new TCP or UDP socket of the address's family, close-on-exec.
    public convenience init(_ kind: Kind, family: SocketAddress.Family) throws(SocketError) {
        let domain: Int32 =
            switch family {
            case .inet: AF_INET
            case .inet6: AF_INET6
            case .other(let value): value
            }
        let type = kind == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        let fd = socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        self.init(descriptor: fd)
    }

    deinit { close() }

    public func close() {
        if descriptor >= 0 {
            _ = Glibc.close(descriptor)  // never retried: the descriptor is gone either way
            descriptor = -1
        }
    }

    // MARK: - Options

    /// setsockopt(2) with an integer value.
    @discardableResult
    public func setOption(level: Int32, name: Int32, value: Int32) -> Bool {
        var value = value
        return setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    /// SO_REUSEADDR: bind a port that still has connections in TIME-WAIT.
    public func setReuseAddress() { setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: 1) }

    /// SO_REUSEPORT: several sockets (of one user) listen on the same port; the kernel spreads
    /// new connections over them by a hash of the addresses (one listener per event loop).
    public func setReusePort() { setOption(level: SOL_SOCKET, name: SO_REUSEPORT, value: 1) }

    /// TCP_NODELAY: send small writes at once instead of waiting to merge them (Nagle).
    public func setNoDelay(_ on: Bool = true) {
        setOption(level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: on ? 1 : 0)
    }

    /// IPV6_V6ONLY: an IPv6 socket bound to `::` takes IPv6 only (no IPv4-mapped addresses).
    public func setIPv6Only(_ on: Bool) {
        setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: on ? 1 : 0)
    }

    /// O_NONBLOCK: calls that would wait return EAGAIN instead (the events server).
    public func setNonBlocking(_ on: Bool = true) {
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
    }

    /// SO_RCVTIMEO / SO_SNDTIMEO: a blocked recv or send fails with EAGAIN after this long.
    public func setTimeout(seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    // MARK: - Addresses

    /// bind(2).
    public func bind(_ address: SocketAddress) throws(SocketError) {
        let status = address.withSockaddr { Glibc.bind(descriptor, $0, $1) }
        guard status == 0 else { throw SocketError("bind \(address)") }
    }

    /// listen(2).
    public func listen(backlog: Int32 = 511) throws(SocketError) {
        guard Glibc.listen(descriptor, backlog) == 0 else { throw SocketError("listen") }
    }

    /// getsockname(2): the address this socket is bound to (the kernel's pick after port 0).
    public var localAddress: SocketAddress? {
        let (status, address) = SocketAddress.filling { getsockname(descriptor, $0, $1) }
        return status == 0 ? address : nil
    }

    /// getpeername(2): the other end of a connected socket.
    public var peerAddress: SocketAddress? {
        let (status, address) = SocketAddress.filling { getpeername(descriptor, $0, $1) }
        return status == 0 ? address : nil
    }

    /// The local port (after binding to port 0).
    public var localPort: UInt16 { localAddress?.port ?? 0 }

    // MARK: - Servers

    /// socket + SO_REUSEADDR + bind + listen on a numeric address (`127.0.0.1`, `::1`, `0.0.0.0`,
    /// `::`) or a name. Port 0 lets the kernel pick an ephemeral port (see `localPort`).
    /// `reuseAddress: false` leaves SO_REUSEADDR off, so bind fails with EADDRINUSE while an
    /// earlier connection on the port is in TIME-WAIT (what lesson 11 shows).
    public static func listen(
        host: String = "127.0.0.1", port: UInt16 = 0, backlog: Int32 = 511, reusePort: Bool = false,
        reuseAddress: Bool = true
    )
        throws(SocketError) -> Socket
    {
        try firstSucceeding(
            host, port, passive: true, failure: SocketError("bind \(host):\(port)", code: EADDRNOTAVAIL)
        ) {
            address throws(SocketError) in
            let socket = try Socket(.tcp, family: address.family)
            if reuseAddress { socket.setReuseAddress() }
            if reusePort { socket.setReusePort() }
            if address.family == .inet6 { socket.setIPv6Only(true) }
            try socket.bind(address)
            try socket.listen(backlog: backlog)
            return socket
        }
    }

    /// Each address for `host` in turn — the numeric one, or getaddrinfo's list in its order —
    /// until `attempt` succeeds; the last failure otherwise.
    static func firstSucceeding(
        _ host: String, _ port: UInt16, passive: Bool, failure: SocketError,
        _ attempt: (SocketAddress) throws(SocketError) -> Socket
    ) throws(SocketError) -> Socket {
        let addresses: [SocketAddress]
        if let numeric = SocketAddress(numeric: host, port: port) {
            addresses = [numeric]
        } else {
            addresses = try Resolver.resolve(host, service: String(port), passive: passive).map(\.address)
        }
        var lastError = failure
        for address in addresses {
            do {
                return try attempt(address)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// accept(2), retried on EINTR.
    public func accept() throws(SocketError) -> Socket {
        try acceptWithAddress().0
    }

    /// accept(2) with the client's address, retried on EINTR.
    public func acceptWithAddress() throws(SocketError) -> (Socket, SocketAddress) {
        while true {
            let (fd, address) = SocketAddress.filling { netlab_accept4(descriptor, $0, $1, 0) }
            if fd >= 0 { return (Socket(descriptor: fd), address) }
            if errno != EINTR { throw SocketError("accept") }
        }
    }

    /// accept(2) on a non-blocking listener: nil when no connection is waiting.
    public func tryAccept() throws(SocketError) -> (Socket, SocketAddress)? {
        while true {
            let (fd, address) = SocketAddress.filling { netlab_accept4(descriptor, $0, $1, 1) }
            if fd >= 0 { return (Socket(descriptor: fd), address) }
            switch errno {
            case EINTR: continue
            // The connection was reset while waiting in the queue: not the listener's failure.
            case EAGAIN, ECONNABORTED, EPROTO: return nil
            default: throw SocketError("accept")
            }
        }
    }

    // MARK: - Clients

    /// connect(2) with a deadline: a non-blocking connect, then poll for writability.
    public func connect(to address: SocketAddress, timeout: Double? = nil) throws(SocketError) {
        guard let timeout else {
            while address.withSockaddr({ Glibc.connect(descriptor, $0, $1) }) != 0 {
                if errno != EINTR { throw SocketError("connect \(address)") }
            }
            return
        }
        setNonBlocking(true)
        defer { setNonBlocking(false) }
        if address.withSockaddr({ Glibc.connect(descriptor, $0, $1) }) == 0 { return }
        guard errno == EINPROGRESS else { throw SocketError("connect \(address)") }
        guard try wait(for: .writable, timeout: timeout) else {
            throw SocketError("connect \(address)", code: ETIMEDOUT)
        }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
        if failure != 0 { throw SocketError("connect \(address)", code: failure) }
    }

    /// Resolves `host` (a name, or a numeric IPv4/IPv6 address) and connects to the first
    /// address that answers, as a client should: each getaddrinfo result in turn.
    public static func connect(host: String, port: UInt16, timeout: Double? = nil) throws(SocketError) -> Socket {
        try firstSucceeding(
            host, port, passive: false, failure: SocketError("connect \(host):\(port)", code: EHOSTUNREACH)
        ) {
            address throws(SocketError) in
            let socket = try Socket(.tcp, family: address.family)
            try socket.connect(to: address, timeout: timeout)
            return socket
        }
    }

    // MARK: - Data

    /// Sends every byte, looping over short writes (send may take fewer than asked).
    public func sendAll(_ bytes: [UInt8]) throws(SocketError) {
        try sendAll(bytes[...])
    }

    /// The first `count` bytes of a receive buffer, say, without copying them out.
    public func sendAll(_ bytes: ArraySlice<UInt8>) throws(SocketError) {
        var failure: SocketError?
        bytes.withUnsafeBytes { raw in
            do throws(SocketError) { try sendAll(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    public func sendAll(_ raw: UnsafeRawBufferPointer) throws(SocketError) {
        var offset = 0
        while offset < raw.count {
            let sent = Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 {
                if errno == EINTR { continue }
                throw SocketError("send")
            }
            offset += sent
        }
    }

    /// One send(2) on a non-blocking socket: the bytes taken, or 0 when the buffer is full.
    public func trySend(_ raw: UnsafeRawBufferPointer) throws(SocketError) -> Int {
        guard raw.count > 0 else { return 0 }
        while true {
            let sent = Glibc.send(descriptor, raw.baseAddress!, raw.count, Int32(MSG_NOSIGNAL))
            if sent >= 0 { return sent }
            switch errno {
            case EINTR: continue
            case EAGAIN: return 0
            default: throw SocketError("send")
            }
        }
    }

    /// One recv(2) of at most `limit` bytes; empty at end of stream (the peer's FIN).
    public func receive(limit: Int = 65536) throws(SocketError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: limit)
        let count = try receive(into: &buffer)
        buffer.removeSubrange(count...)
        return buffer
    }

    /// One recv(2) into the start of `buffer`: the byte count, 0 at end of stream.
    public func receive(into buffer: inout [UInt8], limit: Int? = nil) throws(SocketError) -> Int {
        var result: Result<Int, SocketError> = .success(0)
        buffer.withUnsafeMutableBytes { raw in
            let target = UnsafeMutableRawBufferPointer(rebasing: raw[..<min(raw.count, limit ?? raw.count)])
            do throws(SocketError) { result = .success(try receive(into: target)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// One recv(2) into `buffer`: the byte count, 0 at end of stream.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> Int {
        while true {
            let count = recv(descriptor, buffer.baseAddress!, buffer.count, 0)
            if count >= 0 { return count }
            if errno != EINTR { throw SocketError("recv") }
        }
    }

    /// One recv(2) on a non-blocking socket into the start of `buffer`: nil when nothing is
    /// waiting, 0 at end of stream.
    public func tryReceive(into buffer: inout [UInt8]) throws(SocketError) -> Int? {
        var result: Result<Int?, SocketError> = .success(nil)
        buffer.withUnsafeMutableBytes { raw in
            do throws(SocketError) { result = .success(try tryReceive(into: raw)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// One recv(2) on a non-blocking socket: nil when nothing is waiting, 0 at end of stream.
    public func tryReceive(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> Int? {
        while true {
            let count = recv(descriptor, buffer.baseAddress!, buffer.count, 0)
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN: return nil
            default: throw SocketError("recv")
            }
        }
    }

    /// sendto(2): one datagram to `address` (UDP keeps it whole or not at all).
    @discardableResult
    public func send(_ bytes: [UInt8], to address: SocketAddress) throws(SocketError) -> Int {
        while true {
            let sent = bytes.withUnsafeBytes { raw in
                address.withSockaddr {
                    Glibc.sendto(descriptor, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL), $0, $1)
                }
            }
            if sent >= 0 { return sent }
            if errno != EINTR { throw SocketError("sendto \(address)") }
        }
    }

    /// recvfrom(2): one datagram and who sent it. A datagram longer than `limit` is cut
    /// (`truncated` says so: MSG_TRUNC reports its real length).
    public func receiveFrom(limit: Int = 65536) throws(SocketError) -> (
        bytes: [UInt8], from: SocketAddress, truncated: Bool
    ) {
        var buffer = [UInt8](repeating: 0, count: limit)
        while true {
            var count = 0
            let (_, address) = SocketAddress.filling { pointer, length in
                count = buffer.withUnsafeMutableBytes {
                    recvfrom(descriptor, $0.baseAddress, $0.count, Int32(MSG_TRUNC), pointer, length)
                }
                return 0
            }
            if count >= 0 { return (Array(buffer.prefix(min(count, limit))), address, count > limit) }
            if errno != EINTR { throw SocketError("recvfrom") }
        }
    }

    /// send(2) on a connected UDP socket (see `connect`): errors from ICMP, such as
    /// ECONNREFUSED for "port unreachable", come back on later calls.
    public func sendDatagram(_ bytes: [UInt8]) throws(SocketError) {
        while true {
            let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent >= 0 { return }
            if errno != EINTR { throw SocketError("send") }
        }
    }

    public enum ShutdownHow: Sendable { case read, write, both }

    /// shutdown(2). `.write` says "I have nothing more to send": the peer reads end of stream (a FIN).
    public func shutdown(_ how: ShutdownHow) {
        let value: Int32 =
            switch how {
            case .read: Int32(SHUT_RD)
            case .write: Int32(SHUT_WR)
            case .both: Int32(SHUT_RDWR)
            }
        _ = Glibc.shutdown(descriptor, value)
    }

    public func shutdownWrite() { shutdown(.write) }

    /// Closing with unread bytes from the peer makes the kernel send RST, and the peer may lose
    /// what was just sent (an error response). So: half-close, read and discard until the peer
    /// closes (or `seconds` / `limit` bytes pass), then close.
    public func lingeringClose(seconds: Double = 1, limit: Int = 1 << 20) {
        shutdown(.write)
        let deadline = Clock.now + seconds
        var discarded = 0
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while discarded < limit, Clock.now < deadline,
            (try? wait(for: .readable, timeout: max(0, deadline - Clock.now))) == true,
            let count = try? receive(into: &buffer), count > 0
        {
            discarded += count
        }
        close()
    }

    // MARK: - Waiting

    public enum Readiness: Sendable { case readable, writable }

    /// poll(2) on this socket alone: true when ready within `timeout` seconds (nil waits forever).
    public func wait(for readiness: Readiness, timeout: Double?) throws(SocketError) -> Bool {
        try Poll.wait(descriptor, for: readiness, timeout: timeout)
    }
}

/// poll(2) helpers.
public enum Poll {
    /// Waits until `descriptor` is readable or writable, up to `timeout` seconds (nil: no limit).
    /// Errors and hang-ups count as ready: the next call reports them.
    public static func wait(_ descriptor: Int32, for readiness: Socket.Readiness, timeout: Double?) throws(SocketError)
        -> Bool
    {
        let events = Int16(readiness == .readable ? POLLIN : POLLOUT)
        var entry = pollfd(fd: descriptor, events: events, revents: 0)
        let deadline = timeout.map { Clock.now + $0 }
        while true {
            let remaining = deadline.map { max(0, Int32((($0 - Clock.now) * 1000).rounded(.up))) } ?? -1
            let status = poll(&entry, 1, remaining)
            if status > 0 { return true }
            if status == 0 { return false }
            if errno != EINTR { throw SocketError("poll") }
        }
    }
}

/// Monotonic seconds (CLOCK_MONOTONIC): for deadlines, never affected by clock changes.
public enum Clock {
    public static var now: Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Seconds since 1970 (CLOCK_REALTIME): the time base libpcap stamps packets with, for
    /// putting socket calls and captured packets on one timeline.
    public static var wall: Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
