import ArgumentParser
import Foundation
import Labs

struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "The lessons: list them, read one, record and check your capture, grade a class.",
        discussion: """
            Examples:
              netlab lesson list
              netlab lesson show 8
              sudo netlab lesson record 8                 # while you do the steps
              netlab lesson check 8 ~/netlab-work/lesson-08.pcap
              sudo netlab lesson check 8                  # runs the exercise live
              netlab lesson grade 8 submissions/ --csv grades.csv --html grades.html
            """,
        subcommands: [LessonList.self, LessonShow.self, LessonRecord.self, LessonCheck.self, LessonGrade.self]
    )
}

/// Where the lessons are: --lessons DIR, ./lessons, or the source tree beside the binary.
struct LessonsLocation: ParsableArguments {
    @Option(help: "The lessons directory (default: ./lessons or the one next to netlab's source tree).")
    var lessons: String?

    /// The lessons directory, or nil when there is none.
    var directory: String? { lessons ?? Lesson.directory(near: CommandLine.arguments[0]) }

    /// Hashes of netlab's bundled captures (captures/ beside the lessons directory).
    func bundledCaptures() -> [String: String] {
        guard let directory else { return [:] }
        // URL: a relative `lessons` still has a parent (the current directory).
        return CaptureRegistry.bundled(
            in: URL(fileURLWithPath: directory).standardizedFileURL.deletingLastPathComponent().path + "/captures")
    }

    func all() throws -> [Lesson] {
        guard let directory else {
            Console.error("netlab: no lessons directory found; run from the netlab checkout or pass --lessons DIR")
            throw ExitCode(ExitCodes.noInput)
        }
        do {
            return try Lesson.all(in: directory)
        } catch {
            Console.error("netlab: cannot read lessons in \(directory): \(error.localizedDescription)")
            throw ExitCode(ExitCodes.noInput)
        }
    }

    func lesson(_ number: Int) throws -> Lesson {
        let all = try all()
        guard let lesson = all.first(where: { $0.number == number }) else {
            Console.error(
                "netlab: no lesson \(number); there are \(all.map { String($0.number) }.joined(separator: ", "))")
            throw ExitCode(ExitCodes.usage)
        }
        return lesson
    }
}

struct LessonList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the lessons.")

    @OptionGroup var location: LessonsLocation

    func run() throws {
        for lesson in try location.all() {
            Console.output("\(lesson.number < 10 ? " " : "")\(lesson.number)  \(lesson.title)")
        }
        Console.output("\nRead one with `netlab lesson show N`.")
    }
}

struct LessonShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a lesson in the terminal.")

    @Argument(help: "Lesson number.")
    var number: Int

    @OptionGroup var location: LessonsLocation

    func run() throws {
        let lesson = try location.lesson(number)
        let styled = Console.stdoutIsTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        Console.output(MarkdownTerminal.render(lesson, styled: styled).joined(separator: "\n"))
    }
}

struct LessonCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a capture against a lesson's expectations, or run the exercise live and check that.",
        discussion: """
            With a capture file (FILE or --capture FILE), grades your own capture. Without
            one, runs the lesson's exercise on loopback while capturing (root or
            CAP_NET_RAW) and grades that; --save keeps the capture.
            --student ID also requires `X-Student: ID` on the wire (where the lesson's
            exercise says) and refuses netlab's bundled captures; --seen FILE refuses
            captures whose SHA-256 is listed there (an instructor's registry; `sha256sum`
            output works).
            Exit status 0 when every expectation is met, 1 when something is missing or
            the capture is refused.

            Examples:
              netlab lesson check 3 ~/netlab-work/lesson-03.pcap
              netlab lesson check 3 mine.pcap --student s01 --seen handed-in.sha256
              sudo netlab lesson check 3 --student s01 --save mine.pcap
            """
    )

    @Argument(help: "Lesson number.")
    var number: Int

    @Argument(help: "A pcap or pcapng file to grade (the same as --capture).")
    var file: String?

    @Option(help: "A pcap or pcapng file to grade.")
    var capture: String?

    @Option(help: "Your student ID: it must be on the wire (X-Student: ID), and bundled captures are refused.")
    var student: String?

    @Option(help: "A file of SHA-256 hashes of captures handed in before: those are refused.")
    var seen: String?

    @Option(help: "When running live, keep the capture in this file.")
    var save: String?

    @OptionGroup var location: LessonsLocation

    func validate() throws {
        if file != nil && capture != nil { throw ValidationError("give the capture once: FILE or --capture FILE") }
        if (capture ?? file) != nil && save != nil {
            throw ValidationError("--save is for live runs; a capture file is graded as it is")
        }
        if let student, !StudentID.isValid(student) {
            throw ValidationError("--student: 1 to 64 letters, digits, '.', '_' or '-'")
        }
    }

    func run() throws {
        let lesson = try location.lesson(number)
        if let problem = lesson.checkProblems.first {
            throw Failure("lesson \(number) (\(lesson.path)): \(problem)", exitCode: ExitCodes.dataError)
        }
        guard !lesson.expectations.isEmpty else {
            Console.error("netlab: lesson \(number) has nothing to check")
            throw ExitCode(ExitCodes.usage)
        }
        var path = capture ?? file
        var scratch: String?
        defer { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
        if path == nil {
            if save == nil {
                scratch = PrivateDirectory.make(prefix: "netlab-check")
                guard scratch != nil else {
                    throw Failure(
                        "cannot make a temporary directory; pass --save FILE", exitCode: ExitCodes.cannotCreate)
                }
            }
            let target = save ?? scratch! + "/lesson-\(number).pcap"
            let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            var exercise = LessonExercise(
                lesson: lesson, binDirectory: executable.deletingLastPathComponent().path,
                workingDirectory: URL(fileURLWithPath: lesson.path).deletingLastPathComponent()
                    .deletingLastPathComponent().path)
            exercise.student = student
            Console.error(
                "Running lesson \(number)'s exercise "
                    + (lesson.exerciseCaptureFile == nil ? "on lo while capturing…" : "(it captures inside the path)…"))
            do {
                _ = try exercise.record(to: target)
            } catch {
                Console.error("netlab: \(error)")
                if case .capture = error {
                    Console.error(
                        "Capture your own traffic with `sudo netlab sniff -w FILE …` and pass --capture FILE.")
                    throw ExitCode(ExitCodes.permission)
                }
                throw ExitCode(ExitCodes.software)
            }
            if save != nil { Console.error("Saved the capture to \(target).") }
            path = target
        }
        let facts: CaptureFacts
        do {
            facts = try CaptureFacts.read(path!)
        } catch {
            throw failure(error)
        }
        Console.output("Lesson \(lesson.number): \(lesson.title) — checking \(path!) (\(facts.frames) packets)")
        var accepted = true
        if let refusal = try registry().refusal(for: try hash(path!), lesson: number) {
            Console.output("✗ refused: \(refusal)")
            accepted = false
        }
        if let student {
            let check: StudentCheck
            do {
                check = StudentCheck(id: student, onWire: try StudentID.onWire(in: path!))
            } catch {
                throw failure(error)
            }
            Console.output(check.line(placement: lesson.studentPlacement))
            accepted = accepted && check.passed
        }
        let verdict = LessonVerdict(lesson: lesson, facts: facts)
        for line in verdict.lines { Console.output(line) }
        if !accepted { Console.output("Not accepted: see the ✗ above the checks.") }
        if !verdict.passed || !accepted { throw ExitCode(1) }
    }

    /// The captures refused: bundled ones when grading a student, and the --seen registry.
    private func registry() throws -> CaptureRegistry {
        var registry = CaptureRegistry()
        if student != nil { registry.bundled = location.bundledCaptures() }
        if let seen {
            do {
                registry.seen = try CaptureRegistry.seen(from: seen)
            } catch {
                throw Failure("cannot read --seen \(seen): \(error.localizedDescription)", exitCode: ExitCodes.noInput)
            }
        }
        return registry
    }

    private func hash(_ path: String) throws -> String {
        guard student != nil || seen != nil else { return "" }
        do {
            return try StudentID.sha256(of: path)
        } catch {
            throw Failure("cannot read \(path): \(error.localizedDescription)", exitCode: ExitCodes.noInput)
        }
    }
}
