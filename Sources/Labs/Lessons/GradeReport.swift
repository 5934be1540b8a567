import Foundation

/// `lesson grade`'s three outputs from one grading: a terminal table, CSV and a self-contained
/// HTML page. One row per capture, one column per expectation, then the ID, duplicates and the
/// verdict.
public struct GradeReport: Sendable {
    public var lesson: Lesson
    public var graded: [GradedCapture]

    public init(lesson: Lesson, graded: [GradedCapture]) {
        self.lesson = lesson
        self.graded = graded
    }

    /// Short column names: `http-status 404`.
    public var columns: [String] {
        lesson.expectations.map { [$0.kind.rawValue, $0.argument].compactMap { $0 }.joined(separator: " ") }
    }

    public var passedCount: Int { graded.filter(\.passed).count }

    private func note(_ capture: GradedCapture) -> String {
        var notes: [String] = []
        if let unreadable = capture.unreadable { notes.append(unreadable) }
        if let refused = capture.refused { notes.append(refused) }
        if !capture.duplicateOf.isEmpty { notes.append("same bytes as " + capture.duplicateOf.joined(separator: ", ")) }
        return (notes + capture.notes).joined(separator: "; ")
    }

    /// The terminal table: expectations numbered, with a legend under it.
    public var table: [String] {
        let header = ["student", "file"] + columns.indices.map { String($0 + 1) } + ["id", "result"]
        var rows = graded.map { capture in
            [capture.student ?? "?", capture.file]
                + columns.indices.map { index in
                    index < capture.results.count ? (capture.results[index].passed ? "✓" : "✗") : "-"
                } + [capture.idOnWire ? "✓" : "✗", capture.verdict]
        }
        rows.insert(header, at: 0)
        var widths = header.map { _ in 0 }
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var lines = rows.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        lines.insert(lines[0].map { _ in "-" }.joined(), at: 1)
        for (index, expectation) in lesson.expectations.enumerated() {
            lines.append("\(index + 1): \(expectation.summary)")
        }
        for capture in graded where !note(capture).isEmpty {
            lines.append("\(capture.file): \(note(capture))")
        }
        lines.append("\(passedCount) of \(graded.count) pass.")
        return lines
    }

    /// RFC 4180 CSV: a header row, then one row per capture (✓/✗ as pass/fail).
    public var csv: String {
        let header =
            ["student", "file", "sha256"] + columns + ["id_on_wire", "duplicate_of", "refused", "result", "notes"]
        var lines = [header.map(Self.csvField).joined(separator: ",")]
        for capture in graded {
            let cells =
                [capture.student ?? "", capture.file, capture.sha256]
                + columns.indices.map { index in
                    index < capture.results.count ? (capture.results[index].passed ? "pass" : "fail") : ""
                }
                + [
                    capture.idOnWire ? "yes" : "no", capture.duplicateOf.joined(separator: " "),
                    capture.refused == nil ? "" : "yes", capture.verdict, note(capture),
                ]
            lines.append(cells.map(Self.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func html(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// One page, no external files: styles inline, every finding in a cell's title.
    public var html: String {
        let title = Self.html("Lesson \(lesson.number): \(lesson.title) — grades")
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(title)</title>
            <style>
            body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
            th,td{border:1px solid #999;padding:.3em .6em;text-align:left;vertical-align:top}
            td.pass{background:#d8f5d0}td.fail{background:#f8d0d0}td.flag{background:#fbeab0}
            </style></head><body>
            <h1>\(title)</h1>
            <p>\(passedCount) of \(graded.count) captures pass.</p>
            <table><thead><tr><th>student</th><th>file</th>
            """
        for (index, expectation) in lesson.expectations.enumerated() {
            page += "<th title=\"\(Self.html(expectation.summary))\">\(index + 1). \(Self.html(columns[index]))</th>"
        }
        page += "<th>ID on the wire</th><th>duplicate of</th><th>result</th><th>notes</th></tr></thead><tbody>\n"
        for capture in graded {
            page += "<tr><td>\(Self.html(capture.student ?? "?"))</td><td>\(Self.html(capture.file))</td>"
            for index in lesson.expectations.indices {
                if index < capture.results.count {
                    let result = capture.results[index]
                    page +=
                        "<td class=\"\(result.passed ? "pass" : "fail")\" title=\"\(Self.html(result.found))\">"
                        + "\(result.passed ? "✓" : "✗") \(Self.html(result.found))</td>"
                } else {
                    page += "<td class=\"fail\">-</td>"
                }
            }
            page += "<td class=\"\(capture.idOnWire ? "pass" : "fail")\">\(capture.idOnWire ? "✓" : "✗")</td>"
            let duplicates = capture.duplicateOf.joined(separator: ", ")
            page += "<td class=\"\(duplicates.isEmpty ? "" : "flag")\">\(Self.html(duplicates))</td>"
            page += "<td class=\"\(capture.passed ? "pass" : "fail")\">\(capture.verdict)</td>"
            page += "<td>\(Self.html(note(capture)))</td></tr>\n"
        }
        page += "</tbody></table>\n<ol>\n"
        for expectation in lesson.expectations { page += "<li>\(Self.html(expectation.summary))</li>\n" }
        page += "</ol>\n</body></html>\n"
        return page
    }
}
