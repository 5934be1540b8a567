import Foundation

/// Lesson markdown for a terminal: headings stand out, code is indented, the machine-read
/// blocks (check, exercise) become a short list. Styles only when asked (a TTY without NO_COLOR).
public enum MarkdownTerminal {
    public static func render(_ lesson: Lesson, styled: Bool) -> [String] {
        func bold(_ text: String) -> String { styled ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
        func dim(_ text: String) -> String { styled ? "\u{1B}[36m\(text)\u{1B}[0m" : text }
        var lines: [String] = []
        var fence: String?
        for line in lesson.markdown.components(separatedBy: "\n") {
            if line.hasPrefix("```") {
                if let language = fence {
                    if language == "check" || language == "exercise" { lines.append("") }
                    fence = nil
                } else {
                    fence = String(line.dropFirst(3))
                    if fence == "check" { lines.append(bold("What `netlab lesson check \(lesson.number)` looks for:")) }
                    if fence == "exercise" { lines.append(bold("What it runs when you give it no capture:")) }
                }
                continue
            }
            switch fence {
            case "check":
                if let expectation = Expectation(line: line) { lines.append("  • " + expectation.summary) }
            case "exercise":
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty && !trimmed.hasPrefix("#") { lines.append("    " + dim(trimmed)) }
            case .some:
                lines.append("    " + dim(line))
            case nil:
                if line.hasPrefix("# ") {
                    let title = String(line.dropFirst(2))
                    lines.append(bold(title))
                    lines.append(String(repeating: "=", count: title.count))
                } else if line.hasPrefix("## ") {
                    lines.append(bold(String(line.dropFirst(3))))
                } else {
                    lines.append(line)
                }
            }
        }
        return lines
    }
}
