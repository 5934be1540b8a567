import Foundation
import Inspect

/// Lesson 16's check: text on the wire is bytes in some encoding, and the Content-Type's
/// charset says which. It reads message bodies from the reassembled bytes of each connection
/// (the analyzer keeps body sizes only) with netlab's HTTP parser.
extension Expectation {
    /// One message with its body, as parsed again from a connection's bytes.
    struct BodyMessage {
        var stream: Int
        var head: HTTPHead
        var body: [UInt8]
    }

    /// Every whole message of one side (`request` or `response`) of every connection, with its
    /// body (chunked coding removed). Bodies are bounded by what `CaptureFacts` keeps.
    static func bodies(_ facts: CaptureFacts, requests: Bool) -> [BodyMessage] {
        var messages: [BodyMessage] = []
        for connection in facts.connections {
            var methods: [String] = []
            var requestParser = HTTPParser(kind: .request, lenient: true)
            var list: [BodyMessage] = []
            var head: HTTPHead?
            var body: [UInt8] = []
            func collect(_ events: [HTTPEvent], into list: inout [BodyMessage]) {
                for event in events {
                    switch event {
                    case .head(let parsed): (head, body) = (parsed, [])
                    case .body(let bytes): body += bytes
                    case .end:
                        if let head { list.append(BodyMessage(stream: connection.stream, head: head, body: body)) }
                        head = nil
                    default: break
                    }
                }
            }
            var requestList: [BodyMessage] = []
            collect(requestParser.parse(connection.bytes[.client] ?? []), into: &requestList)
            collect(requestParser.finish(), into: &requestList)
            methods = requestList.compactMap { $0.head.method }
            if requests {
                list = requestList
            } else {
                var responseParser = HTTPParser(kind: .response, lenient: true)
                for method in methods { responseParser.expectResponse(to: method) }
                head = nil
                collect(responseParser.parse(connection.bytes[.server] ?? []), into: &list)
                collect(responseParser.finish(), into: &list)
                list.removeAll { ($0.head.status ?? 0) < 200 }
            }
            messages += list
        }
        return messages
    }

    /// The charset parameter of a Content-Type, lower-cased and unquoted; nil when none.
    static func charset(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let parts = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].lowercased() == "charset" else { continue }
            return parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
        }
        return nil
    }

    /// Where `bytes` stop being UTF-8: the offset of the first byte that starts no valid
    /// sequence (RFC 3629 §4: no overlongs, no surrogates, nothing past U+10FFFF); nil if valid.
    static func firstNonUTF8(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let length: Int, low: UInt8, high: UInt8
            switch byte {
            case 0x00...0x7F:
                index += 1
                continue
            case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
            case 0xED: (length, low, high) = (3, 0x80, 0x9F)
            case 0xE1...0xEF: (length, low, high) = (3, 0x80, 0xBF)
            case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
            case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
            case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
            default: return index
            }
            guard index + length <= bytes.count, (low...high).contains(bytes[index + 1]) else { return index }
            for next in (index + 2)..<(index + length) where !(0x80...0xBF).contains(bytes[next]) { return index }
            index += length
        }
        return nil
    }

    /// The first non-ASCII character of valid UTF-8 text with its bytes: `é = C3 A9`.
    static func firstCharacterShown(_ bytes: [UInt8]) -> String {
        guard let start = bytes.firstIndex(where: { $0 >= 0x80 }) else { return "" }
        var end = start + 1
        while end < bytes.count && (0x80...0xBF).contains(bytes[end]) { end += 1 }
        let text = String(decoding: bytes[start..<end], as: UTF8.self)
        return "\(text) = " + bytes[start..<end].map { hex($0) }.joined(separator: " ")
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }

    /// A body of the wanted side with non-ASCII bytes that are valid UTF-8 and labelled so.
    func evaluateText(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let requests = argument == "request"
        let side = requests ? "request" : "response"
        var notes: [String] = []
        var plain = 0
        for message in Self.bodies(facts, requests: requests) where !message.body.isEmpty {
            let body = message.body
            let what =
                "stream \(message.stream): "
                + (requests
                    ? "\(message.head.method ?? "?") \(message.head.target ?? "?")"
                    : "\(side) \(message.head.status ?? 0)")
            let beyond = body.filter { $0 >= 0x80 }.count
            guard beyond > 0 else {
                plain += 1
                continue
            }
            let type = message.head.values("Content-Type").first
            let charset = type.flatMap(Self.charset)
            if let bad = Self.firstNonUTF8(body) {
                var note = "\(what): byte \(Self.hex(body[bad])) at body offset \(bad) is not UTF-8"
                // A byte A0–FF alone is a whole character in latin-1 (ISO 8859-1).
                if body[bad] >= 0xA0 {
                    note += " (in latin-1 it is \(String(Character(Unicode.Scalar(body[bad])))): latin-1 bytes"
                    note += charset == "utf-8" || charset == "utf8" ? " labelled charset=\(charset!))" : ")"
                }
                notes.append(note)
            } else if charset == "utf-8" || charset == "utf8" {
                let characters = String(decoding: body, as: UTF8.self).unicodeScalars.filter { $0.value >= 0x80 }.count
                return (
                    true,
                    "\(what): \(body.count) bytes, \(characters) characters beyond ASCII in valid UTF-8 ("
                        + "\(Self.firstCharacterShown(body))), Content-Type \(type!)"
                )
            } else {
                notes.append(
                    "\(what): valid UTF-8 (\(Self.firstCharacterShown(body))) but "
                        + (type == nil ? "no Content-Type" : "Content-Type \(type!) names no charset=utf-8"))
            }
        }
        if notes.isEmpty {
            return (false, "no \(side) body with bytes beyond ASCII" + (plain > 0 ? " (\(plain) ASCII only)" : ""))
        }
        return (false, notes.prefix(3).joined(separator: "; "))
    }
}
