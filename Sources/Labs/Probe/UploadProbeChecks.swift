import Sockets

/// `netlab probe upload HOST PORT`: lesson 9's framed upload (`netlab send-file` / `server
/// files`): a 4-byte big-endian header length, a JSON header `{"name","size","sha256"}`, exactly
/// `size` body bytes; the server answers with a framed JSON reply `{"ok":true,…}` or
/// `{"ok":false,"error":…}`. The same upload is cut at every boundary a byte stream allows.
/// Each upload stores a file named `netlab-probe-…` on the server.
enum UploadProbeChecks {
    static let all: [StreamCheck] = [whole, merged, oneByte, badHash, afterCut]

    /// A body of `size` deterministic bytes (every byte value occurs), its frame and its digest.
    struct Upload {
        var name: String
        var body: [UInt8]
        var sha256: String
        var header: [UInt8]

        init(_ label: String, size: Int, claimedHash: String? = nil) {
            name = "netlab-probe-\(label)-\(UInt32.random(in: 0...UInt32.max)).bin"
            var generator = PayloadGenerator(state: UInt64(size) &+ 0x5DEE_CE66)
            body = (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 32) }
            var hasher = SHA256()
            hasher.update(body)
            sha256 = SHA256.hex(hasher.finish())
            let json = FlatJSON([
                ("name", .string(name)), ("size", .integer(size)), ("sha256", .string(claimedHash ?? sha256)),
            ])
            header = Framing.length.encode(Array(json.encoded.utf8))
        }

        var bytes: [UInt8] { header + body }
    }

    /// The server's reply: a 4-byte length, then that much JSON. nil and why when there was none.
    static func readReply(_ connection: StreamConnection, deadline: Double) -> (FlatJSON?, String) {
        connection.read(
            until: { bytes in
                guard bytes.count >= 4 else { return false }
                let length = bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
                return bytes.count >= 4 + length
            }, deadline: deadline)
        let bytes = connection.received
        guard bytes.count >= 4 else {
            return (nil, bytes.isEmpty ? "no reply (\(connection.ending))" : "a reply shorter than its 4-byte length")
        }
        let length = bytes.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, length <= 65536 else { return (nil, "a reply length of \(length) bytes") }
        guard bytes.count >= 4 + length else {
            return (nil, "\(bytes.count - 4) of the reply's \(length) bytes (\(connection.ending))")
        }
        do {
            return (try FlatJSON.decode(Array(bytes[4..<(4 + length)])), "")
        } catch {
            return (nil, "a reply that is not a flat JSON object: \(error)")
        }
    }

    /// Sends an upload with `send`, reads the reply, and judges it: ok with the body's digest.
    static func upload(
        _ context: StreamContext, _ label: String, _ upload: Upload,
        send: (StreamConnection) -> Bool
    ) -> ProbeOutcome {
        guard let connection = context.connect(label) else { return .fail("could not connect") }
        defer { connection.close() }
        let sentAll = send(connection)
        let (reply, problem) = readReply(connection, deadline: context.deadline)
        let evidence = [connection.exchange()]
        guard let reply else {
            let sent = sentAll ? "all \(upload.bytes.count) bytes sent" : "only \(connection.sent.count) bytes sent"
            return .fail("\(sent); \(problem)", evidence)
        }
        guard reply.bool("ok") == true else {
            return .fail(
                "refused a correct upload: \(reply.string("error").map { "error: \($0)" } ?? reply.encoded)", evidence)
        }
        if let digest = reply.string("sha256"), digest != upload.sha256 {
            return .fail("ok, but the reply's sha256 \(digest) is not the body's \(upload.sha256)", evidence)
        }
        if let size = reply.integer("size"), size != upload.body.count {
            return .fail("ok, but the reply's size \(size) is not the body's \(upload.body.count)", evidence)
        }
        return .pass(
            "ok for \(upload.name) (\(upload.body.count) bytes\(reply.string("sha256") == nil ? "" : ", sha256 verified"))"
        )
    }

    static let whole = StreamCheck(
        id: "upload.whole", group: .upload, title: "An upload of 1 MiB, header then body",
        expected: "a framed reply {\"ok\":true,…} (with the body's size and sha256 when it names them)",
        why:
            "lesson 9: the header says how many bytes follow; the server reads exactly that many, over many recv() calls"
    ) { context in
        let file = Upload("whole", size: 1 << 20)
        return upload(context, "header, then 1 MiB", file) { connection in
            connection.send(file.header, deadline: context.deadline)
                && connection.send(file.body, deadline: context.deadline)
        }
    }

    static let merged = StreamCheck(
        id: "upload.merged", group: .upload, title: "Length, header and body in one segment",
        expected: "the same ok reply when the whole upload arrives in one send()",
        why: "lesson 9: TCP keeps no boundaries; bytes read past the header are the body's first bytes, not garbage"
    ) { context in
        let file = Upload("merged", size: 3000)
        return upload(context, "everything in one send()", file) { connection in
            connection.send(file.bytes, deadline: context.deadline)
        }
    }

    static let oneByte = StreamCheck(
        id: "upload.one-byte", group: .upload, title: "The upload in 1-byte segments",
        expected: "the same ok reply when every byte arrives in a segment of its own (3 ms apart)",
        why: "lesson 9: recv(n) may return fewer than n bytes: read the length, the header and the body in loops"
    ) { context in
        let file = Upload("one-byte", size: 200)
        return upload(context, "one byte per segment", file) { connection in
            connection.sendInPieces(file.bytes, pause: 0.003, deadline: context.deadline + 5)
        }
    }

    static let badHash = StreamCheck(
        id: "upload.bad-hash", group: .upload, title: "A body that does not match its sha256 is refused",
        expected: "a framed reply {\"ok\":false,\"error\":…} (and no file kept)",
        why: "lesson 9: the digest is how the receiver knows the bytes arrived intact; a mismatch must be refused"
    ) { context in
        let file = Upload("bad-hash", size: 4096, claimedHash: String(repeating: "0", count: 64))
        guard let connection = context.connect("a body whose sha256 is wrong") else {
            return .fail("could not connect")
        }
        defer { connection.close() }
        connection.send(file.bytes, deadline: context.deadline)
        let (reply, problem) = readReply(connection, deadline: context.deadline)
        let evidence = [connection.exchange()]
        guard let reply else { return .fail("no refusal: \(problem)", evidence) }
        guard reply.bool("ok") == false else {
            return .fail("accepted a body whose sha256 differs from the header's: \(reply.encoded)", evidence)
        }
        return .pass("refused: \(reply.string("error") ?? reply.encoded)")
    }

    static let afterCut = StreamCheck(
        id: "upload.after-cut", group: .upload, title: "Serves on after a cut transfer",
        expected: "a client announces 256 KiB, sends 100 KiB and closes; the next upload gets ok",
        why: "lesson 9: recv() returning 0 mid-body means the sender is gone: drop the partial file, keep serving",
        destructive: true
    ) { context in
        let cut = Upload("cut", size: 256 << 10)
        guard let quitter = context.connect("256 KiB announced, 100 KiB sent, then close") else {
            return .fail("could not connect")
        }
        quitter.send(Array(cut.bytes.prefix(cut.header.count + (100 << 10))), deadline: context.deadline)
        sleep(seconds: 0.1)
        quitter.close()
        sleep(seconds: 0.3)
        let file = Upload("after-cut", size: 5000)
        let outcome = upload(context, "the next upload", file) { connection in
            connection.send(file.bytes, deadline: context.deadline)
        }
        if outcome.passed == true { return .pass("after the cut, " + outcome.observed) }
        let gone = quitter.exchange(ending: "closed by the probe mid-body")
        let hint = outcome.observed == "could not connect" ? " (the server is gone: did the cut kill it?)" : ""
        return .fail("after the cut, the next upload: \(outcome.observed)\(hint)", [gone] + outcome.exchanges)
    }
}
