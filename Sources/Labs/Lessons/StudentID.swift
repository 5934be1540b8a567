import Capture
import Foundation
import Sockets

/// A student's ID on the wire: the text `X-Student: ID` in a packet — a header of an HTTP
/// request, or the payload of a TCP or UDP message (each lesson's exercise names where, in a
/// `# student: …` line). With `--student`, `lesson check` requires it, so a capture proves whose
/// exercise it recorded.
public enum StudentID {
    /// What precedes the ID on the wire.
    public static let marker = "X-Student: "
    /// The ID an exercise carries when no `--student` was given.
    public static let anonymous = "anonymous"

    /// Letters, digits, `.`, `_` and `-`, 1–64 of them: fits a header value, a file name and a
    /// CSV cell unquoted.
    public static func isValid(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy(isIDByte)
    }

    static func isIDByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x2E || byte == 0x5F || byte == 0x2D
    }

    /// Every ID found after the marker in the capture's frames, with the first frame (1-based)
    /// that carried it. A marker split across two segments is not found (IDs are short and the
    /// exercises send them first, in one segment).
    public static func onWire(in path: String) throws(CaptureError) -> [(id: String, frame: Int)] {
        let handle = try CaptureHandle.file(path)
        let marker = Array(Self.marker.utf8)
        var found: [(id: String, frame: Int)] = []
        var frame = 0
        _ = try handle.forEach { packet in
            frame += 1
            let bytes = packet.bytes
            guard bytes.count >= marker.count else { return true }
            var index = 0
            while index + marker.count <= bytes.count {
                var matches = true
                for offset in 0..<marker.count where bytes[index + offset] != marker[offset] {
                    matches = false
                    break
                }
                guard matches else {
                    index += 1
                    continue
                }
                var end = index + marker.count
                while end < bytes.count && end - index - marker.count < 64 && isIDByte(bytes[end]) { end += 1 }
                if end > index + marker.count {
                    let id = String(decoding: bytes[(index + marker.count)..<end], as: UTF8.self)
                    if !found.contains(where: { $0.id == id }) { found.append((id, frame)) }
                }
                index = end
            }
            return true
        }
        return found
    }

    /// The ID a file name gives: its name without extensions and without a leading
    /// `lesson-NN-` (`s01.pcap`, `lesson-03-s01.pcapng` → `s01`); nil when that is not an ID.
    public static func fromFileName(_ path: String) -> String? {
        var stem = (path as NSString).lastPathComponent
        while let dot = stem.lastIndex(of: "."), dot != stem.startIndex { stem = String(stem[..<dot]) }
        if let range = stem.range(of: #"^lesson-?[0-9]+[-_]"#, options: .regularExpression) {
            stem.removeSubrange(range)
        }
        return isValid(stem) ? stem : nil
    }

    /// SHA-256 of a file's bytes, as `sha256sum` prints it.
    public static func sha256(of path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var hasher = SHA256()
        data.withUnsafeBytes { hasher.update($0) }
        return SHA256.hex(hasher.finish())
    }
}

extension Lesson {
    /// Where the exercise carries the student ID, from its `# student: …` line.
    public var studentPlacement: String? {
        guard let block = blocks.first(where: { $0.language == "exercise" }) else { return nil }
        for line in block.lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("# student:") {
                return trimmed.dropFirst("# student:".count).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
