import Sockets

/// The file-transfer and framing headers: what a receiver reads from the network before any
/// file byte.
///
/// Input: byte 0 picks the mode, the rest is the received stream.
/// - modes 0–2: `Deframer` with length, JSON-header or delimiter framing (limit 64 bytes, so short inputs reach it);
///   every way of cutting the stream into pieces must give the same messages and the same
///   verdict (a message over the limit is an error however it arrives).
/// - mode 3: the file receiver's header: a 4-byte length, a flat JSON object
///   (`FlatJSON.decode`), then `FileTransfer.checkHeader`; a decoded object must survive
///   encoding and decoding again unchanged.
enum TransferTarget {
    static let framings: [Framing] = [.length, .jsonHeader, .delimiter]
    static let limit = 64

    static func run(_ data: [UInt8]) {
        guard let mode = data.first else { return }
        let stream = Array(data.dropFirst())
        if Int(mode) % 4 == 3 {
            receiverHeader(stream)
        } else {
            deframe(stream, framing: framings[Int(mode) % 4])
        }
    }

    static func deframe(_ stream: [UInt8], framing: Framing) {
        var reference: (messages: [[UInt8]], failed: Bool)?
        for pieces in splits(of: stream, random: 3) {
            var deframer = Deframer(framing, maxMessageBytes: limit)
            var messages: [[UInt8]] = []
            var failed = false
            forEachPiece(of: stream, pieces) { piece in
                guard !failed else { return }
                do {
                    messages += try deframer.add(Array(piece))
                } catch {
                    failed = true
                }
            }
            for message in messages where message.count > limit {
                violated("\(framing) framing delivered a \(message.count)-byte message over the \(limit)-byte limit")
            }
            if let reference {
                // A failure ends the stream; messages completed in the failing call are lost,
                // so only the verdict and, without failure, the messages must agree.
                guard failed == reference.failed, failed || messages == reference.messages else {
                    violated(
                        "\(framing) framing: pieces \(pieces) give \(messages.count) messages, failed \(failed); "
                            + "the whole stream \(reference.messages.count), failed \(reference.failed)")
                }
            } else {
                reference = (messages, failed)
            }
        }
    }

    static func receiverHeader(_ stream: [UInt8]) {
        guard stream.count >= 4 else { return }
        let length = stream.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, length <= FileTransfer.maxHeaderBytes else { return }
        let body = Array(stream.dropFirst(4).prefix(length))
        guard let header = try? FlatJSON.decode(body) else { return }
        let again: FlatJSON
        do {
            again = try FlatJSON.decode(Array(header.encoded.utf8))
        } catch {
            violated("FlatJSON cannot read its own encoding \(header.encoded): \(error)")
        }
        guard again == header else { violated("FlatJSON round trip changed \(header.encoded)") }
        _ = try? FileTransfer.checkHeader(header, maxFileBytes: 8 << 30)
    }
}
