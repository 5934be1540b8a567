import ArgumentParser
import Foundation
import Labs

/// `netlab lesson grade N DIR`: an instructor's view of a class's captures for one lesson.
struct LessonGrade: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Grade every capture in a directory against a lesson (for instructors).",
        discussion: """
            Every .pcap and .pcapng in DIR is checked like `lesson check N FILE --student
            ID`, the student being the ID on the wire (X-Student: ID) or else the file's
            name (s01.pcap, lesson-03-s01.pcap → s01). A capture passes when every
            expectation is met, its ID is on the wire, it is not one of netlab's bundled
            captures nor listed in --seen, and no other file in DIR has the same bytes
            (duplicates are flagged on both). The table goes to stdout, progress to
            stderr; --csv and --html write the same grades to files (the HTML page is
            self-contained).
            Exit status: 0 every capture passes; 1 at least one fails, is refused or
            duplicated; 64 bad usage or unknown lesson; 66 DIR missing or without
            captures; 73 cannot write --csv, --html or --update-seen.

            Examples:
              netlab lesson grade 3 submissions/
              netlab lesson grade 3 submissions/ --csv grades.csv --html grades.html
              netlab lesson grade 3 submissions/ --seen handed-in.sha256 --update-seen
            """
    )

    @Argument(help: "Lesson number.")
    var number: Int

    @Argument(help: "The directory of captures handed in.")
    var directory: String

    @Option(help: "Write the grades as CSV to this file.")
    var csv: String?

    @Option(help: "Write the grades as one self-contained HTML page to this file.")
    var html: String?

    @Option(help: "A file of SHA-256 hashes of captures handed in before: those are refused.")
    var seen: String?

    @Flag(help: "Append the hashes graded now to the --seen file (for the next class).")
    var updateSeen = false

    @OptionGroup var location: LessonsLocation

    func validate() throws {
        if updateSeen && seen == nil { throw ValidationError("--update-seen needs --seen FILE") }
    }

    func run() throws {
        let lesson = try location.lesson(number)
        if let problem = lesson.checkProblems.first {
            throw Failure("lesson \(number) (\(lesson.path)): \(problem)", exitCode: ExitCodes.dataError)
        }
        let files: [String]
        do {
            files = try Grader.captures(in: directory)
        } catch {
            throw Failure("cannot read \(directory): \(error.localizedDescription)", exitCode: ExitCodes.noInput)
        }
        guard !files.isEmpty else {
            throw Failure("no .pcap or .pcapng files in \(directory)", exitCode: ExitCodes.noInput)
        }
        var registry = CaptureRegistry()
        registry.bundled = location.bundledCaptures()
        if let seen, FileManager.default.fileExists(atPath: seen) || !updateSeen {
            do {
                registry.seen = try CaptureRegistry.seen(from: seen)
            } catch {
                throw Failure("cannot read --seen \(seen): \(error.localizedDescription)", exitCode: ExitCodes.noInput)
            }
        }
        let graded = Grader(lesson: lesson, registry: registry).grade(files) { done, total, file in
            Console.error("[\(done)/\(total)] \((file as NSString).lastPathComponent)")
        }
        let report = GradeReport(lesson: lesson, graded: graded)
        Console.output("Lesson \(lesson.number): \(lesson.title) — \(graded.count) captures in \(directory)")
        for line in report.table { Console.output(line) }
        try write(report.csv, to: csv, what: "CSV")
        try write(report.html, to: html, what: "HTML")
        if updateSeen, let seen {
            let lines = graded.filter { !$0.sha256.isEmpty && registry.seen[$0.sha256] == nil }
                .map { "\($0.sha256)  lesson-\(number)/\($0.student ?? "?")/\($0.file)\n" }
            do {
                if !FileManager.default.fileExists(atPath: seen) {
                    try Data().write(to: URL(fileURLWithPath: seen))
                }
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: seen))
                defer { try? handle.close() }
                try handle.seekToEnd()
                try handle.write(contentsOf: Data(Set(lines).sorted().joined().utf8))
            } catch {
                throw Failure("cannot update \(seen): \(error.localizedDescription)", exitCode: ExitCodes.cannotCreate)
            }
            Console.error("Added \(Set(lines).count) hashes to \(seen).")
        }
        if report.passedCount < graded.count { throw ExitCode(1) }
    }

    private func write(_ text: String, to path: String?, what: String) throws {
        guard let path else { return }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw Failure(
                "cannot write \(what) to \(path): \(error.localizedDescription)", exitCode: ExitCodes.cannotCreate)
        }
        Console.error("Wrote the grades as \(what) to \(path).")
    }
}
