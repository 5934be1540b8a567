#if canImport(Glibc)
    import Glibc
#endif

/// An interactive TCP client like `nc`: what arrives on standard input goes to the socket,
/// what arrives from the socket goes to standard output. At the end of input it half-closes
/// (shutdown(SHUT_WR): the server sees end of stream, and can still answer); it stops when
/// the server closes its side. poll(2) waits on both at once.
public enum StreamClient {
    public struct Summary: Sendable {
        public var sent = 0
        public var received = 0
        public var serverClosedFirst = false
    }

    public static func run(
        _ socket: Socket, input: Int32 = 0, output: Int32 = 1, linger: Double = 0, shouldStop: () -> Bool = { false }
    ) throws(SocketError) -> Summary {
        var summary = Summary()
        var inputOpen = true
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while !shouldStop() {
            var descriptors = [pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0)]
            if inputOpen { descriptors.append(pollfd(fd: input, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), 250)
            if ready < 0 {
                if errno == EINTR { continue }
                throw SocketError("poll")
            }
            if ready == 0 { continue }
            if descriptors[0].revents != 0 {
                let count = try socket.receive(into: &buffer)
                if count == 0 {
                    summary.serverClosedFirst = inputOpen
                    return summary
                }
                summary.received += count
                guard writeAll(output, buffer, count: count) else { return summary }
            }
            if inputOpen, descriptors[1].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    inputOpen = false
                    // Stay silent a while first, if asked (what a slow client looks like to a server).
                    let until = Clock.now + linger
                    while Clock.now < until && !shouldStop() { usleep(10_000) }
                    socket.shutdown(.write)  // our FIN: "nothing more from me"
                    continue
                }
                try socket.sendAll(buffer[..<count])
                summary.sent += count
            }
        }
        return summary
    }

    private static func writeAll(_ fd: Int32, _ buffer: [UInt8], count: Int) -> Bool {
        var offset = 0
        while offset < count {
            let written = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
