/// Lesson 12's check: chat lines passed whole from one client to the others.
extension Expectation {
    /// Each connection's client bytes are lines: the first is the nickname, the rest (not empty,
    /// not a /command) are messages, which `netlab server chat` passes to everyone else as
    /// `[nick] text\n`. A message counts when that whole line is in another connection's
    /// server bytes; bytes after the last newline were never a line, and are never passed on.
    func evaluateBroadcast(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        // Each connection's received lines, once: a flood of lines costs linear time, not a
        // search through every other connection per line.
        var received: [Int: Set<ArraySlice<UInt8>>] = [:]
        for connection in facts.connections {
            let lines = (connection.bytes[.server] ?? []).split(separator: 0x0A, omittingEmptySubsequences: false)
            // The last piece has no newline after it: not a whole line.
            received[connection.stream] = Set(lines.dropLast())
        }
        var sent = 0, delivered = 0
        var unterminated: [String] = []
        for connection in facts.connections {
            let bytes = connection.bytes[.client] ?? []
            var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
                line.last == 0x0D ? Array(line.dropLast()) : Array(line)
            }
            // What follows the last newline (empty when the bytes end with one).
            let rest = lines.removeLast()
            if !rest.isEmpty { unterminated.append(Self.quoted(rest)) }
            guard let nickname = lines.first else { continue }
            for line in lines.dropFirst() where !line.isEmpty && line.first != 0x2F {
                sent += 1
                let wanted = ArraySlice([0x5B] + nickname + [0x5D, 0x20] + line)
                let reached = facts.connections.contains { other in
                    other.stream != connection.stream && received[other.stream]?.contains(wanted) == true
                }
                if reached { delivered += 1 }
            }
        }
        var found = "\(delivered) of \(sent) line\(sent == 1 ? "" : "s") sent by a client reached another client whole"
        if !unterminated.isEmpty {
            found +=
                "; \(unterminated.count) sent without a final newline (\(unterminated.prefix(2).joined(separator: ", "))) "
                + "never became a line, so the server passed nothing of it on"
        }
        return (delivered >= number, found)
    }

    static func quoted(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(40), as: UTF8.self)
        return "\"\(text)\(bytes.count > 40 ? "…" : "")\""
    }
}
