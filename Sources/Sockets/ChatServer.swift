import ProcessControl

#if canImport(Glibc)
    import Glibc
#endif

/// A multi-user chat over TCP, one epoll loop for every client. Lines in, lines out:
/// the first line a client sends is its nickname; after that each line goes to everyone else
/// as `[nick] text`. Commands: `/who` lists who is here, `/quit` leaves. Join and leave
/// notices start with `* `. A client that stops reading is never waited for: its outgoing
/// queue is bounded, and once full the client is dropped (the others are told why).
public final class ChatServer {
    public let listener: Socket
    public let address: SocketAddress
    public var maxClients = 256
    /// Bytes waiting to be sent to one client before it is dropped for not reading.
    public var maxQueuedBytes = 64 * 1024
    /// Longest line accepted, in bytes.
    public var maxLineBytes = 1024
    /// Seconds a new client has to choose a nickname.
    public var nicknameTimeout = 60.0
    public var log: ((String) -> Void)?

    final class Client {
        let socket: Socket
        let peer: SocketAddress
        var nickname: String?
        var input: [UInt8] = []
        var output: [UInt8] = []
        var sent = 0
        var discardingLongLine = false
        var closing = false
        let connectedAt: Double
        var interest: Epoll.Interest = .readable

        init(socket: Socket, peer: SocketAddress, now: Double) {
            self.socket = socket
            self.peer = peer
            connectedAt = now
        }

        var queued: Int { output.count - sent }
    }

    private var clients: [Int32: Client] = [:]
    private var epoll: Epoll?

    public init(host: String, port: UInt16) throws(SocketError) {
        listener = try Socket.listen(host: host, port: port)
        address = listener.localAddress ?? SocketAddress(numeric: host, port: port)!
    }

    public struct Summary: Sendable {
        public var connections = 0
        public var messages = 0
        public var dropped = 0
    }

    private var summary = Summary()

    public func run(until shouldStop: () -> Bool) throws(SocketError) -> Summary {
        // A member that goes away must never end the room (sends also use MSG_NOSIGNAL).
        Signals.ignoreBrokenPipe()  // Labs runs servers in-process: the CLI's ignore is not enough
        let epoll = try Epoll()
        self.epoll = epoll
        listener.setNonBlocking(true)
        try epoll.add(listener.descriptor, .readable)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while !shouldStop() {
            for event in try epoll.wait(timeout: 0.25) {
                if event.descriptor == listener.descriptor {
                    acceptWaiting()
                    continue
                }
                guard let client = clients[event.descriptor] else { continue }
                if event.readable || event.hangup { read(client, buffer: &buffer) }
                if event.writable, clients[event.descriptor] != nil { flush(client) }
            }
            let now = Clock.now
            for client in Array(clients.values)
            where client.nickname == nil && now - client.connectedAt > nicknameTimeout {
                send("* no nickname in \(Int(nicknameTimeout)) s, goodbye\n", to: client)
                client.closing = true
                flush(client)
            }
        }
        for client in Array(clients.values) {
            send("* the server is shutting down\n", to: client)
            flush(client)
            remove(client)
        }
        return summary
    }

    private func acceptWaiting() {
        while true {
            let accepted: (Socket, SocketAddress)?
            do {
                accepted = try listener.tryAccept()
            } catch {
                // Out of descriptors (EMFILE) and the like: log, breathe (the listener stays
                // readable, so epoll would spin), keep the room going.
                log?("accept: \(error)")
                usleep(10_000)
                return
            }
            guard let (socket, peer) = accepted else { return }
            summary.connections += 1
            let client = Client(socket: socket, peer: peer, now: Clock.now)
            if clients.count >= maxClients {
                _ = Array("* the room is full (\(maxClients) people), try later\n".utf8).withUnsafeBytes {
                    try? socket.trySend($0)
                }
                socket.close()
                continue
            }
            guard (try? epoll?.add(socket.descriptor, .readable)) != nil else { continue }
            clients[socket.descriptor] = client
            log?("\(peer) connected")
            send("Welcome to netlab chat. Your nickname?\n", to: client)
            flush(client)
        }
    }

    private func read(_ client: Client, buffer: inout [UInt8]) {
        let count: Int?
        do {
            count = try client.socket.tryReceive(into: &buffer)
        } catch {
            leave(client, reason: "connection error")
            return
        }
        guard let count else { return }
        if count == 0 {
            leave(client, reason: "left")
            return
        }
        for byte in buffer[0..<count] {
            if byte == 0x0A {
                if client.discardingLongLine {
                    client.discardingLongLine = false
                } else {
                    var line = client.input
                    if line.last == 0x0D { line.removeLast() }
                    handle(String(decoding: line, as: UTF8.self), from: client)
                }
                client.input.removeAll(keepingCapacity: true)
                if clients[client.socket.descriptor] == nil { return }
                if client.closing {
                    flush(client)
                    return
                }
            } else if !client.discardingLongLine {
                client.input.append(byte)
                if client.input.count > maxLineBytes {
                    send("* line too long (at most \(maxLineBytes) bytes); it was not sent\n", to: client)
                    client.input.removeAll(keepingCapacity: true)
                    client.discardingLongLine = true
                }
            }
        }
        flush(client)
    }

    private func handle(_ line: String, from client: Client) {
        guard let nickname = client.nickname else {
            let wanted = line.trimmingCharacters(" ")
            if !Self.isValidNickname(wanted) {
                send("* nicknames are 1-20 letters, digits, - or _. Your nickname?\n", to: client)
            } else if clients.values.contains(where: { $0.nickname == wanted }) {
                send("* \(wanted) is taken. Your nickname?\n", to: client)
            } else {
                client.nickname = wanted
                let others = clients.values.compactMap { $0 === client ? nil : $0.nickname }.sorted()
                send(
                    "* hello \(wanted). Here: \(others.isEmpty ? "nobody else yet" : others.joined(separator: ", ")). "
                        + "Type a line to talk, /who to list, /quit to leave.\n", to: client)
                broadcast("* \(wanted) joined\n", except: client)
                log?("\(client.peer) is \(wanted)")
            }
            return
        }
        switch line {
        case "/quit":
            send("* bye\n", to: client)
            client.closing = true
            broadcast("* \(nickname) left\n", except: client)
            log?("\(client.peer) (\(nickname)) quit")
            client.nickname = nil
        case "/who":
            let names = clients.values.compactMap(\.nickname).sorted()
            send("* \(names.count) here: \(names.joined(separator: ", "))\n", to: client)
        case _ where line.hasPrefix("/"):
            send("* unknown command \(line.split(separator: " ").first ?? ""); try /who or /quit\n", to: client)
        case "":
            break
        default:
            summary.messages += 1
            broadcast("[\(nickname)] \(line)\n", except: client)
        }
    }

    static func isValidNickname(_ name: String) -> Bool {
        (1...20).contains(name.utf8.count)
            && name.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D
                    || $0 == 0x5F
            }
    }

    private func broadcast(_ text: String, except sender: Client) {
        for client in Array(clients.values) where client !== sender && client.nickname != nil {
            send(text, to: client)
            flush(client)
        }
    }

    /// Queues text for a client; one that has let too much pile up is dropped.
    private func send(_ text: String, to client: Client) {
        guard clients[client.socket.descriptor] != nil else { return }
        if client.queued + text.utf8.count > maxQueuedBytes {
            summary.dropped += 1
            let name = client.nickname
            client.nickname = nil
            remove(client)
            log?("\(client.peer) dropped: \(maxQueuedBytes) bytes waiting, it stopped reading")
            if let name { broadcast("* \(name) was disconnected (not reading)\n", except: client) }
            return
        }
        client.output.append(contentsOf: text.utf8)
    }

    private func flush(_ client: Client) {
        guard clients[client.socket.descriptor] != nil else { return }
        while client.queued > 0 {
            let count: Int
            do {
                count = try client.output.withUnsafeBytes { raw throws(SocketError) in
                    try client.socket.trySend(UnsafeRawBufferPointer(rebasing: raw[client.sent...]))
                }
            } catch {
                leave(client, reason: "connection error")
                return
            }
            if count == 0 { break }
            client.sent += count
        }
        if client.queued == 0 {
            client.output.removeAll(keepingCapacity: true)
            client.sent = 0
            if client.closing {
                remove(client)
                return
            }
        }
        let wanted: Epoll.Interest = client.queued > 0 ? [.readable, .writable] : .readable
        if wanted != client.interest {
            client.interest = wanted
            try? epoll?.modify(client.socket.descriptor, wanted)
        }
    }

    private func leave(_ client: Client, reason: String) {
        let name = client.nickname
        remove(client)
        log?("\(client.peer)\(name.map { " (\($0))" } ?? "") \(reason)")
        if let name { broadcast("* \(name) left\n", except: client) }
    }

    private func remove(_ client: Client) {
        let descriptor = client.socket.descriptor
        guard clients.removeValue(forKey: descriptor) != nil else { return }
        epoll?.remove(descriptor)
        client.socket.close()
    }
}
