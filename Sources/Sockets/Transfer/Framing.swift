/// How to put message boundaries back into a TCP byte stream, which has none ("sticky
/// packets", 粘包): the sender marks where each message ends, the receiver cuts there.
public enum Framing: String, CaseIterable, Sendable {
    /// No marks: the receiver gets whatever recv() returns, merged or split.
    case none
    /// A 4-byte big-endian length, then the message.
    case length
    /// A 2-byte big-endian header length, a JSON header `{"type":"text","size":N}`, then the
    /// message (the seed tutorial's scheme: the header can grow new fields).
    case jsonHeader = "json-header"
    /// The message, then a newline; messages may not contain newlines.
    case delimiter

    /// The bytes to send for one message.
    public func encode(_ message: [UInt8]) -> [UInt8] {
        switch self {
        case .none:
            return message
        case .length:
            let count = UInt32(message.count)
            return [
                UInt8(count >> 24), UInt8(truncatingIfNeeded: count >> 16), UInt8(truncatingIfNeeded: count >> 8),
                UInt8(truncatingIfNeeded: count),
            ] + message
        case .jsonHeader:
            let header = Array(FlatJSON([("type", .string("text")), ("size", .integer(message.count))]).encoded.utf8)
            return [UInt8(header.count >> 8), UInt8(header.count & 0xFF)] + header + message
        case .delimiter:
            return message + [0x0A]
        }
    }
}

/// Cuts a received byte stream back into messages, whatever pieces it arrives in. Bounded:
/// a message (or header) longer than `maxMessageBytes` is an error, never a huge allocation.
public struct Deframer: Sendable {
    public let framing: Framing
    public var maxMessageBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    public init(_ framing: Framing, maxMessageBytes: Int = 16 << 20) {
        self.framing = framing
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes received but not yet part of a whole message.
    public var pendingBytes: Int { buffer.count - start }

    /// Adds received bytes; returns every message they complete, in order. With `.none`
    /// framing each call's bytes are one "message", exactly as recv() returned them.
    public mutating func add(_ bytes: [UInt8]) throws(Failure) -> [[UInt8]] {
        if framing == .none { return bytes.isEmpty ? [] : [bytes] }
        buffer += bytes
        var messages: [[UInt8]] = []
        while let message = try next() { messages.append(message) }
        if start > 65536 || start == buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        return messages
    }

    private mutating func next() throws(Failure) -> [UInt8]? {
        let available = buffer.count - start
        switch framing {
        case .none:
            return nil
        case .length:
            guard available >= 4 else { return nil }
            let size = buffer[start..<(start + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard size <= maxMessageBytes else { throw Failure(reason: "message of \(size) bytes is over the limit") }
            guard available >= 4 + size else { return nil }
            defer { start += 4 + size }
            return Array(buffer[(start + 4)..<(start + 4 + size)])
        case .jsonHeader:
            guard available >= 2 else { return nil }
            let headerSize = Int(buffer[start]) << 8 | Int(buffer[start + 1])
            guard available >= 2 + headerSize else { return nil }
            let header: FlatJSON
            do {
                header = try FlatJSON.decode(Array(buffer[(start + 2)..<(start + 2 + headerSize)]))
            } catch {
                throw Failure(reason: error.description)
            }
            guard let size = header.integer("size"), size >= 0 else { throw Failure(reason: "header without a size") }
            guard size <= maxMessageBytes else { throw Failure(reason: "message of \(size) bytes is over the limit") }
            guard available >= 2 + headerSize + size else { return nil }
            defer { start += 2 + headerSize + size }
            return Array(buffer[(start + 2 + headerSize)..<(start + 2 + headerSize + size)])
        case .delimiter:
            guard let newline = buffer[start...].firstIndex(of: 0x0A) else {
                if available > maxMessageBytes { throw Failure(reason: "no newline in \(available) bytes") }
                return nil
            }
            // The same limit however the bytes arrived (in pieces, the check above trips first).
            guard newline - start <= maxMessageBytes else {
                throw Failure(reason: "message of \(newline - start) bytes is over the limit")
            }
            defer { start = newline + 1 }
            return Array(buffer[start..<newline])
        }
    }
}
