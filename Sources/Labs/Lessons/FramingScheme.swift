import Sockets

/// The framings a lesson check can find in a connection's bytes: netlab send-file's, and the
/// stick demo's three (`Framing` in Sockets, whose deframer does the cutting here too).
public enum FramingScheme: String, Sendable, CaseIterable {
    /// A 4-byte length, a JSON header `{"name","size","sha256"}`, then exactly `size` bytes;
    /// the receiver answers with a framed JSON reply.
    case file
    case length
    case jsonHeader = "json-header"
    case delimiter

    public var name: String {
        switch self {
        case .file: "4-byte length, JSON header, then exactly size bytes"
        case .length: "4-byte length prefix"
        case .jsonHeader: "2-byte length, JSON header with size"
        case .delimiter: "newline after each message"
        }
    }

    /// Whether `bytes` (one direction of a connection, in order) is nothing but whole
    /// messages in this framing; a sentence saying what was found either way.
    public func judge(_ bytes: [UInt8], reply: [UInt8]) -> (whole: Bool, found: String) {
        switch self {
        case .file: return Self.judgeFile(bytes, reply: reply)
        case .length: return Self.judge(bytes, as: .length)
        case .jsonHeader: return Self.judge(bytes, as: .jsonHeader)
        case .delimiter: return Self.judge(bytes, as: .delimiter)
        }
    }

    static func judge(_ bytes: [UInt8], as framing: Framing) -> (whole: Bool, found: String) {
        var deframer = Deframer(framing)
        let messages: [[UInt8]]
        do {
            messages = try deframer.add(bytes)
        } catch {
            return (false, "no \(framing.rawValue) framing: \(error.reason)")
        }
        let count = "\(messages.count) whole message\(messages.count == 1 ? "" : "s")"
        if deframer.pendingBytes > 0 {
            return (false, "\(count), then \(deframer.pendingBytes) bytes of an unfinished one")
        }
        return (!messages.isEmpty, messages.isEmpty ? "no message" : count + ", nothing left over")
    }

    /// send-file's framing, checked as its receiver does: the header length within bounds, a
    /// header with name, size and sha256, exactly `size` bytes after it whose SHA-256 matches,
    /// and the receiver's framed reply saying ok.
    static func judgeFile(_ bytes: [UInt8], reply: [UInt8]) -> (whole: Bool, found: String) {
        guard bytes.count >= 4 else { return (false, "\(bytes.count) bytes: not even a length prefix") }
        let length = bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        guard length <= FileTransfer.maxHeaderBytes else {
            return (
                false,
                "the first 4 bytes say a header of \(length) bytes (the limit is \(FileTransfer.maxHeaderBytes)): "
                    + "these bytes are not framed" + (reply.isEmpty ? "" : "; " + judgeReply(reply).found)
            )
        }
        guard bytes.count >= 4 + length else {
            return (false, "the header is cut off: \(bytes.count - 4) of its \(length) bytes")
        }
        let header: FlatJSON
        do {
            header = try FlatJSON.decode(Array(bytes[4..<(4 + length)]))
        } catch {
            return (false, "the \(length)-byte header is not JSON: \(error.reason)")
        }
        guard let size = header.integer("size"), size >= 0, let expected = header.string("sha256") else {
            return (false, "the header lacks size or sha256: \(header.encoded)")
        }
        let body = bytes.dropFirst(4 + length)
        let name = header.string("name") ?? "?"
        if body.count < size {
            return (false, "\(name): the body stops \(body.count) bytes into its \(size): the message is cut off")
        }
        if body.count > size {
            return (false, "\(name): \(body.count - size) bytes after the \(size) the header announced")
        }
        var hash = SHA256()
        hash.update(Array(body))
        let digest = SHA256.hex(hash.finish())
        guard digest == expected else {
            return (false, "\(name): \(size) bytes, but their SHA-256 is not the header's: damaged")
        }
        let answer = judgeReply(reply)
        return (answer.ok, "\(name): a \(length)-byte header, then all \(size) bytes, SHA-256 matches; " + answer.found)
    }

    static func judgeReply(_ reply: [UInt8]) -> (ok: Bool, found: String) {
        var deframer = Deframer(.length, maxMessageBytes: FileTransfer.maxHeaderBytes)
        guard let first = (try? deframer.add(reply))?.first, let json = try? FlatJSON.decode(first) else {
            return (false, "no framed reply from the receiver")
        }
        if json.bool("ok") == true { return (true, "the receiver replied ok") }
        return (false, "the receiver refused: \(json.string("error") ?? json.encoded)")
    }
}
