import CSockets

#if canImport(Glibc)
    import Glibc
#endif

/// epoll(7): one call tells which of many descriptors are ready, the heart of an event loop
/// (what nginx, Node.js and coroutine servers do underneath). Level-triggered: a descriptor
/// stays ready until it is drained.
public final class Epoll {
    public let descriptor: Int32
    private var buffer: [epoll_event]

    public struct Interest: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Interest(rawValue: EPOLLIN.rawValue)
        public static let writable = Interest(rawValue: EPOLLOUT.rawValue)
        /// With `add` only: of several epoll sets waiting on one descriptor, one is woken per
        /// event (EPOLLEXCLUSIVE), not all of them.
        public static let exclusive = Interest(rawValue: EPOLLEXCLUSIVE.rawValue)
    }

    public struct Event: Sendable {
        public var descriptor: Int32
        public var readable: Bool
        public var writable: Bool
        /// The peer hung up or the socket failed: reading or writing will say how.
        public var hangup: Bool
    }

    public init(capacity: Int = 256) throws(SocketError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw SocketError("epoll_create1") }
        descriptor = fd
        buffer = [epoll_event](repeating: epoll_event(), count: capacity)
    }

    deinit { _ = close(descriptor) }

    private func control(_ operation: Int32, _ fd: Int32, _ interest: Interest) throws(SocketError) {
        var event = epoll_event()
        event.events = interest.rawValue
        event.data.fd = fd
        guard epoll_ctl(descriptor, operation, fd, &event) == 0 else { throw SocketError("epoll_ctl") }
    }

    public func add(_ fd: Int32, _ interest: Interest) throws(SocketError) {
        try control(EPOLL_CTL_ADD, fd, interest)
    }

    public func modify(_ fd: Int32, _ interest: Interest) throws(SocketError) {
        try control(EPOLL_CTL_MOD, fd, interest)
    }

    /// Removing is optional before close (closing removes it), but explicit is clearer.
    public func remove(_ fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(descriptor, EPOLL_CTL_DEL, fd, &event)
    }

    /// epoll_wait: ready descriptors, waiting at most `timeout` seconds. EINTR returns none.
    public func wait(timeout: Double) throws(SocketError) -> [Event] {
        let milliseconds = Int32(max(0, (timeout * 1000).rounded(.up)))
        let count = buffer.withUnsafeMutableBufferPointer {
            epoll_wait(descriptor, $0.baseAddress, Int32($0.count), milliseconds)
        }
        if count < 0 {
            if errno == EINTR { return [] }
            throw SocketError("epoll_wait")
        }
        var events: [Event] = []
        events.reserveCapacity(Int(count))
        let hangupMask = EPOLLHUP.rawValue | EPOLLERR.rawValue
        for index in 0..<Int(count) {
            let raw = buffer[index]
            events.append(
                Event(
                    descriptor: raw.data.fd, readable: raw.events & EPOLLIN.rawValue != 0,
                    writable: raw.events & EPOLLOUT.rawValue != 0, hangup: raw.events & hangupMask != 0))
        }
        return events
    }
}
