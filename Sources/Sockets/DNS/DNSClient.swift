import Inspect

/// One DNS question over UDP to a chosen server, as a stub resolver asks it: a random
/// identifier, a retry after a timeout, and only an answer from that server with that
/// identifier and question is taken (anything else could be spoofed, RFC 5452).
public struct DNSClient: Sendable {
    public var timeout = 2.0
    public var attempts = 2
    public var recursionDesired = true

    public init() {}

    public struct Exchange: Sendable {
        public var query: [UInt8]
        public var response: [UInt8]
        public var message: DNSMessage
        public var seconds: Double
        /// Datagrams that arrived but were not the answer (wrong identifier or question).
        public var ignored: Int
    }

    public enum Failure: Error, CustomStringConvertible {
        case socket(SocketError)
        case noAnswer(attempts: Int, timeout: Double)
        case malformed(DNSMessage.Problem, [UInt8])
        public var description: String {
            switch self {
            case .socket(let error): error.description
            case .noAnswer(let attempts, let timeout):
                "no answer after \(attempts) attempt\(attempts == 1 ? "" : "s") of \(timeout) s each"
            case .malformed(let problem, _): "the answer is not a well-formed DNS message: \(problem)"
            }
        }
    }

    public func query(_ name: [[UInt8]], type: UInt16, server: SocketAddress) throws(Failure) -> Exchange {
        var random = SystemRandomNumberGenerator()
        var message = DNSMessage(
            identifier: UInt16.random(in: 0...UInt16.max, using: &random), flags: recursionDesired ? 0x0100 : 0)
        let question = DNSMessage.Question(name: name, type: type)
        message.questions = [question]
        let query = message.encode()
        let socket: Socket
        do {
            socket = try Socket(.udp, family: server.family)
        } catch {
            throw .socket(error)
        }
        defer { socket.close() }
        // A connected UDP socket: the kernel passes on only the server's datagrams, and an ICMP
        // "port unreachable" comes back as ECONNREFUSED instead of a silent timeout.
        do {
            try socket.connect(to: server)
        } catch {
            throw .socket(error)
        }
        var ignored = 0
        for _ in 0..<max(1, attempts) {
            let sent = Clock.now
            do {
                try socket.sendDatagram(query)
            } catch {
                throw .socket(error)
            }
            let deadline = sent + timeout
            while Clock.now < deadline {
                let ready: Bool
                do {
                    ready = try socket.wait(for: .readable, timeout: deadline - Clock.now)
                } catch {
                    throw .socket(error)
                }
                guard ready else { break }
                let bytes: [UInt8]
                do {
                    bytes = try socket.receive(limit: 65536)
                } catch {
                    throw .socket(error)
                }
                let seconds = Clock.now - sent
                guard bytes.count >= 2, UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == message.identifier
                else {
                    ignored += 1
                    continue
                }
                switch DNSMessage.decode(bytes) {
                case .failure(let problem): throw .malformed(problem, bytes)
                case .success(let answer):
                    guard answer.isResponse, answer.questions.isEmpty || answer.questions == [question] else {
                        ignored += 1
                        continue
                    }
                    return Exchange(query: query, response: bytes, message: answer, seconds: seconds, ignored: ignored)
                }
            }
        }
        throw .noAnswer(attempts: max(1, attempts), timeout: timeout)
    }
}
