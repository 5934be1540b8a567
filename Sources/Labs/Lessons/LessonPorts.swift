import Foundation

/// Each lesson's own ports: lesson N uses 8000 + 100·N to 8000 + 100·N + 9 (lesson 1 8100–8109,
/// lesson 10 9000–9009). A server one lesson left running then never answers another lesson's
/// steps, and a student doing two lessons at once gets no "address in use".
public enum LessonPorts {
    /// The block of lesson `number`.
    public static func block(_ number: Int) -> ClosedRange<Int> {
        let base = 8000 + 100 * number
        return base...(base + 9)
    }

    /// Every port of lessons 1–20 as text: the lesson runner replaces each with a free port.
    public static let all: [String] = (1...20).flatMap { block($0) }.map(String.init)

    /// Where a command names a port: `--port N`, `127.0.0.1 N`, `127.0.0.1:N`, `localhost:N`,
    /// `[::1]:N`, a BPF `port N`, an `ss` filter `= :N`.
    private static let patterns = [
        #"--port[ =]+([0-9]+)"#, #"127\.0\.0\.1[: ]([0-9]+)"#, #"localhost:([0-9]+)"#, #"\[::1\]:([0-9]+)"#,
        #"(?<![a-z-])port ([0-9]+)"#, #"= :([0-9]+)"#,
    ].map { try! NSRegularExpression(pattern: $0) }

    /// The ports a command line names, in order of the patterns.
    public static func mentioned(in line: String) -> [Int] {
        let range = NSRange(line.startIndex..., in: line)
        return patterns.flatMap { pattern in
            pattern.matches(in: line, range: range).compactMap { match in
                Range(match.range(at: 1), in: line).flatMap { Int(line[$0]) }
            }
        }
    }

    /// Replaces each lesson port by its mapped value (`8100=41234 8101=41235`, as the lesson
    /// runner passes it in NETLAB_LESSON_PORTS), as a whole number only.
    public static func apply(_ mapping: String, to text: String) -> String {
        var result = text
        for pair in mapping.split(separator: " ") {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, Int(parts[0]) != nil, Int(parts[1]) != nil else { continue }
            result = result.replacingOccurrences(
                of: "(?<![0-9.])\(parts[0])(?![0-9])", with: String(parts[1]), options: .regularExpression)
        }
        return result
    }
}
