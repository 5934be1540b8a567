import ArgumentParser
import Foundation
import Labs

struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "The lessons: list them, read one, check your capture against it.",
        discussion: """
            Examples:
              netlab lesson list
              netlab lesson show 8
              sudo netlab sniff -w mine.pcap lo tcp port 8000     # while you do lesson 8's steps
              netlab lesson check 8 --capture mine.pcap
              sudo netlab lesson check 8                          # runs the exercise live
            """,
        subcommands: [LessonList.self, LessonShow.self, LessonCheck.self]
    )
}

/// Where the lessons are: --lessons DIR, ./lessons, or the source tree beside the binary.
struct LessonsLocation: ParsableArguments {
    @Option(help: "The lessons directory (default: ./lessons or the one next to netlab's source tree).")
    var lessons: String?

    func all() throws -> [Lesson] {
        guard let directory = lessons ?? Lesson.directory(near: CommandLine.arguments[0]) else {
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
            With --capture, grades your own capture. Without it, runs the lesson's exercise on
            loopback while capturing (root or CAP_NET_RAW) and grades that; --save keeps the capture.
            Exit status 0 when every expectation is met, 1 when something is missing.
            """
    )

    @Argument(help: "Lesson number.")
    var number: Int

    @Option(help: "A pcap or pcapng file to grade.")
    var capture: String?

    @Option(help: "When running live, keep the capture in this file.")
    var save: String?

    @OptionGroup var location: LessonsLocation

    func validate() throws {
        if capture != nil && save != nil { throw ValidationError("--save is for live runs; --capture grades a file") }
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
        var path = capture
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
            let exercise = LessonExercise(
                lesson: lesson, binDirectory: executable.deletingLastPathComponent().path,
                workingDirectory: URL(fileURLWithPath: lesson.path).deletingLastPathComponent()
                    .deletingLastPathComponent().path)
            Console.error("Running lesson \(number)'s exercise on lo while capturing…")
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
        let verdict = LessonVerdict(lesson: lesson, facts: facts)
        for line in verdict.lines { Console.output(line) }
        if !verdict.passed { throw ExitCode(1) }
    }
}
