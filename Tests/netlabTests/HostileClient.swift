import Foundation
import Inspect
import Sockets

/// How a misbehaving client leaves a connection.
enum Departure: String, CaseIterable {
    /// close(2): a FIN, or a RST when the client leaves bytes unread (an aborted download).
    case close
    /// shutdown(SHUT_WR): "nothing more from me", still reading (what `nc -N` and some proxies do).
    case halfClose
    /// SO_LINGER 0, then close(2): a RST at once (a crashed client, a killed browser).
    case reset
}

/// Raw-socket clients that misbehave on purpose: cut requests short, vanish mid-download,
/// reset, half-close. Every wait is bounded.
enum HostileClient {
    static func connect(_ port: UInt16) throws -> Socket {
        try Socket.connect(host: "127.0.0.1", port: port, timeout: 5)
    }

    /// SO_LINGER {on, 0} makes close(2) send RST and drop whatever is queued.
    static func reset(_ socket: Socket) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(socket.descriptor, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        socket.close()
    }

    /// Leaves as `how` says. After a half-close, what the server still sends is read (up to
    /// `seconds`) and returned with whether the server closed its side within that time.
    @discardableResult
    static func leave(_ socket: Socket, _ how: Departure, seconds: Double = 5) -> (bytes: [UInt8], ended: Bool) {
        switch how {
        case .close:
            socket.close()
            return ([], true)
        case .reset:
            reset(socket)
            return ([], true)
        case .halfClose:
            socket.shutdown(.write)
            let result = drain(socket, seconds: seconds)
            socket.close()
            return result
        }
    }

    /// Reads until the server closes (end of stream or a reset) or `seconds` pass.
    static func drain(_ socket: Socket, seconds: Double, limit: Int = 1 << 20) -> (bytes: [UInt8], ended: Bool) {
        var received: [UInt8] = []
        let deadline = Clock.now + seconds
        while Clock.now < deadline, received.count < limit {
            guard (try? socket.wait(for: .readable, timeout: deadline - Clock.now)) == true else { break }
            guard let chunk = try? socket.receive(), !chunk.isEmpty else { return (received, true) }
            received += chunk
        }
        return (received, false)
    }

    /// Reads until at least `count` bytes arrived, the server closes, or `seconds` pass.
    static func read(_ socket: Socket, atLeast count: Int, seconds: Double) -> [UInt8] {
        var received: [UInt8] = []
        let deadline = Clock.now + seconds
        while received.count < count, Clock.now < deadline {
            guard (try? socket.wait(for: .readable, timeout: deadline - Clock.now)) == true,
                let chunk = try? socket.receive(limit: min(65536, count - received.count)), !chunk.isEmpty
            else { break }
            received += chunk
        }
        return received
    }

    /// Reads until `marker` appears, the server closes, or `seconds` pass.
    static func read(_ socket: Socket, until marker: String, seconds: Double) -> String {
        var received: [UInt8] = []
        let deadline = Clock.now + seconds
        while Clock.now < deadline {
            guard (try? socket.wait(for: .readable, timeout: deadline - Clock.now)) == true,
                let chunk = try? socket.receive(), !chunk.isEmpty
            else { break }
            received += chunk
            if String(decoding: received, as: UTF8.self).contains(marker) { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// A plain keep-alive GET of /hello.txt on `socket`: nil when the answer is right, else why not.
    static func get(_ socket: Socket, close: Bool = false) -> String? {
        let request = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\(close ? "Connection: close\r\n" : "")\r\n"
        do {
            try socket.sendAll(Array(request.utf8))
            let text = try RawClient.readAll(socket, seconds: 5, responses: 1, methods: ["GET"])
            if RawClient.status(text) == 200 && text.hasSuffix("\r\n\r\nhello, world\n") { return nil }
            return "GET /hello.txt answered \(text.prefix(80).debugDescription)"
        } catch {
            return "GET /hello.txt failed: \(error)"
        }
    }

    /// A fresh connection, one GET, close: nil when the server answered it right.
    static func freshGet(_ port: UInt16) -> String? {
        do {
            let socket = try connect(port)
            defer { socket.close() }
            return get(socket, close: true)
        } catch {
            return "connect failed: \(error)"
        }
    }

    /// Complete requests in `bytes` (requests without bodies: each ends with an empty line).
    static func completeRequests(_ bytes: ArraySlice<UInt8>) -> Int {
        var count = 0
        var index = bytes.startIndex
        while index + 3 < bytes.endIndex {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 {
                count += 1
                index += 4
            } else {
                index += 1
            }
        }
        return count
    }
}
