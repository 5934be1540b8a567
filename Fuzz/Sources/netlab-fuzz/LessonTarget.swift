import Inspect
import Labs

/// A lesson's markdown through everything that reads it: fenced blocks, ```` ```check ````
/// expectations (parsed, summarised, evaluated against empty capture facts), the
/// ```` ```exercise ```` block, the bundled capture name and the terminal rendering.
/// Input: the markdown bytes (invalid UTF-8 repaired as `String(decoding:)` does).
enum LessonTarget {
    static func run(_ data: [UInt8]) {
        let lesson = Lesson(markdown: String(decoding: data, as: UTF8.self), path: "lessons/99-fuzz.md")
        var count = 0
        for block in lesson.blocks { count += block.lines.count }
        for expectation in lesson.expectations {
            count += expectation.summary.utf8.count + expectation.number
            _ = expectation.evaluate(CaptureFacts())
        }
        // Every line on its own too: the check parser must take any line.
        for line in lesson.markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if let expectation = Expectation(line: String(line)) { count += expectation.hint.utf8.count }
        }
        if let exercise = lesson.exercise { count += exercise.commands.count + exercise.filter.utf8.count }
        count += lesson.bundledCapture?.utf8.count ?? 0
        count += LessonVerdict(lesson: lesson, facts: CaptureFacts()).lines.count
        for styled in [false, true] { count += MarkdownTerminal.render(lesson, styled: styled).count }
        guard count >= 0 else { violated("unreachable") }
    }
}
