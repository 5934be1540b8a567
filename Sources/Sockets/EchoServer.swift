import ProcessControl
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The echo server, the "hello world" of sockets: whatever a client sends comes back.
/// TCP: accept, then a thread per connection loops recv → send (at most `maxConnections`,
/// each closed after `idleTimeout` seconds of silence or when it stops reading).
/// UDP: one socket loops recvfrom → sendto, keeping each datagram whole.
public final class EchoServer {
    public let socket: Socket
    public let kind: Socket.Kind
    public let address: SocketAddress
    public var maxConnections = 128
    public var idleTimeout = 300.0
    /// Seconds to wait before each read (TCP): a slow reader, so the receive buffer fills and
    /// the window the server advertises shrinks to zero (flow control, lesson 18).
    public var readDelay = 0.0
    /// Event lines (connections, datagrams) go here; nil for none.
    public var log: (@Sendable (String) -> Void)?

    /// `reuseAddress: false` leaves SO_REUSEADDR off (a TCP bind then fails while the port has a
    /// connection in TIME-WAIT).
    public init(kind: Socket.Kind, host: String, port: UInt16, reuseAddress: Bool = true) throws(SocketError) {
        guard let address = SocketAddress(numeric: host, port: port) else {
            throw SocketError("bind \(host)", code: EINVAL, detail: "\(host) is not a numeric IPv4 or IPv6 address")
        }
        self.kind = kind
        if kind == .tcp {
            socket = try Socket.listen(host: host, port: port, reuseAddress: reuseAddress)
        } else {
            socket = try Socket(.udp, family: address.family)
            if reuseAddress { socket.setReuseAddress() }
            if address.family == .inet6 { socket.setIPv6Only(true) }
            try socket.bind(address)
        }
        self.address = socket.localAddress ?? address
    }

    /// SO_RCVBUF on the listening socket, before any connection: accepted connections inherit
    /// it, and the SYN-ACK's window and window scale are computed from it. Linux doubles the
    /// value (the other half is bookkeeping) and keeps at least 2,304 bytes. False if refused.
    @discardableResult
    public func setReceiveBuffer(_ bytes: Int32) -> Bool {
        socket.setOption(level: SOL_SOCKET, name: SO_RCVBUF, value: bytes)
    }

    public struct Summary: Sendable {
        public var connections = 0
        public var datagrams = 0
        public var bytes = 0
    }

    /// Serves until `shouldStop` returns true (checked every 250 ms), then returns within a second.
    public func run(until shouldStop: @escaping @Sendable () -> Bool) throws(SocketError) -> Summary {
        // A client that goes away must never end the server.
        Signals.ignoreBrokenPipe()  // Labs runs servers in-process: the CLI's ignore is not enough
        return kind == .tcp ? try runStream(shouldStop) : try runDatagrams(shouldStop)
    }

    private func runDatagrams(_ shouldStop: () -> Bool) throws(SocketError) -> Summary {
        var summary = Summary()
        while !shouldStop() {
            guard try socket.wait(for: .readable, timeout: 0.25) else { continue }
            let bytes: [UInt8], sender: SocketAddress, truncated: Bool
            do {
                (bytes, sender, truncated) = try socket.receiveFrom(limit: 65536)
            } catch {
                // A queued ICMP error (a client whose port closed) and the like: one datagram lost.
                log?("recvfrom: \(error)")
                continue
            }
            summary.datagrams += 1
            summary.bytes += bytes.count
            log?(
                "\(sender) sent \(bytes.count) byte\(bytes.count == 1 ? "" : "s")\(truncated ? " (cut to 64 KiB)" : ""), echoed"
            )
            do {
                try socket.send(bytes, to: sender)
            } catch {
                log?("sendto \(sender): \(error)")
            }
        }
        return summary
    }

    private func runStream(_ shouldStop: @escaping @Sendable () -> Bool) throws(SocketError) -> Summary {
        let active = Atomic<Int>(0)
        let total = Atomic<Int>(0)
        var summary = Summary()
        let idleTimeout = idleTimeout, readDelay = readDelay, log = log
        while !shouldStop() {
            guard try socket.wait(for: .readable, timeout: 0.25) else { continue }
            // Non-blocking: a client that resets while queued must not leave accept(2) waiting.
            socket.setNonBlocking(true)
            let accepted: (Socket, SocketAddress)?
            do {
                accepted = try socket.tryAccept()
            } catch {
                // Out of descriptors (EMFILE) and the like: log, breathe, keep serving.
                log?("accept: \(error)")
                usleep(10_000)
                continue
            }
            guard let (connection, peer) = accepted else { continue }
            connection.setNonBlocking(false)
            summary.connections += 1
            if active.load(ordering: .relaxed) >= maxConnections {
                log?("\(peer) turned away: \(maxConnections) connections already")
                connection.close()
                continue
            }
            active.add(1, ordering: .relaxed)
            log?("\(peer) connected")
            let started = Threads.detach {
                let echoed = Self.echo(
                    connection, idleTimeout: idleTimeout, readDelay: readDelay, shouldStop: shouldStop)
                total.add(echoed, ordering: .relaxed)
                log?("\(peer) closed after \(echoed) byte\(echoed == 1 ? "" : "s") echoed")
                active.subtract(1, ordering: .relaxed)
            }
            if !started {
                active.subtract(1, ordering: .relaxed)
                connection.close()
            }
        }
        // Connections see the stop within 250 ms, a blocked send within `PatientSender.slice`.
        let deadline = Clock.now + 0.6
        while active.load(ordering: .relaxed) > 0 && Clock.now < deadline { usleep(10_000) }
        summary.bytes = total.load(ordering: .relaxed)
        return summary
    }

    /// recv → send until the client closes (then close too), goes quiet, stops reading, resets,
    /// or a stop is requested.
    static func echo(_ connection: Socket, idleTimeout: Double, readDelay: Double = 0, shouldStop: () -> Bool) -> Int {
        // A send making no progress for 5 s: the client stopped reading.
        let sender = PatientSender(socket: connection, stallTimeout: 5)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var echoed = 0
        var quietSince = Clock.now
        while !shouldStop() {
            guard let ready = try? connection.wait(for: .readable, timeout: 0.25) else { break }
            if !ready {
                if Clock.now - quietSince >= idleTimeout { break }
                continue
            }
            // The slow reader: what arrives meanwhile waits in the receive buffer. Slept in
            // short slices so a stop request is still seen within 250 ms.
            if readDelay > 0 {
                let until = Clock.now + readDelay
                while Clock.now < until && !shouldStop() { usleep(UInt32(min(0.05, max(0, until - Clock.now)) * 1e6)) }
            }
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes { raw throws(SocketError) in try connection.receive(into: raw)
                }
            } catch {
                break
            }
            if count == 0 { break }  // the client's FIN: nothing more will come
            // Gone, stalled or stopping: close this one, whatever the reason.
            let sent = buffer.withUnsafeBytes { raw in
                (try? sender.sendAll(UnsafeRawBufferPointer(rebasing: raw[..<count]), giveUp: shouldStop)) != nil
            }
            if !sent { break }
            echoed += count
            quietSince = Clock.now
        }
        connection.close()
        return echoed
    }
}
