import ArgumentParser
import Capture
import Foundation
import Inspect
import Labs

/// `netlab lesson record N`: a student's own capture of a lesson, with the lesson's filter, into
/// their working directory, ready for `lesson check`.
struct LessonRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record your own capture of a lesson (its ports, its filter) for `lesson check`.",
        discussion: """
            Captures on lo with the lesson's filter until Ctrl-C (do the lesson's steps in
            another terminal meanwhile), or with --exercise runs the lesson's exercise and
            stops when it ends. The file goes to ~/netlab-work/lesson-NN.pcap (NETLAB_WORK
            overrides the directory) unless --output says otherwise. Needs root or
            CAP_NET_RAW, as any live capture.
            Exit status 0 when the capture was written; 77 without the permission to
            capture.

            Examples:
              sudo netlab lesson record 3          # do the steps; Ctrl-C when done
              sudo netlab lesson record 3 --exercise --student s01
              netlab lesson check 3 ~/netlab-work/lesson-03.pcap --student s01
            """
    )

    @Argument(help: "Lesson number.")
    var number: Int

    @Option(name: .shortAndLong, help: "Where to write (default: ~/netlab-work/lesson-NN.pcap).")
    var output: String?

    @Flag(help: "Run the lesson's exercise and stop when it ends, instead of waiting for Ctrl-C.")
    var exercise = false

    @Option(help: "With --exercise: the student ID the exercise sends (X-Student: ID).")
    var student: String?

    @OptionGroup var location: LessonsLocation

    func validate() throws {
        if let student, !StudentID.isValid(student) {
            throw ValidationError("--student: 1 to 64 letters, digits, '.', '_' or '-'")
        }
        if student != nil && !exercise {
            throw ValidationError(
                "--student is for --exercise; by hand, send `X-Student: ID` where the lesson says")
        }
    }

    /// ~/netlab-work, or NETLAB_WORK (the lesson runner's private directory). Under sudo, the
    /// invoking student's home, not root's: that is where their lesson files are.
    static var workDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let work = environment["NETLAB_WORK"] { return work }
        if geteuid() == 0, let user = environment["SUDO_USER"], let entry = getpwnam(user),
            let home = entry.pointee.pw_dir
        {
            return String(decoding: UnsafeRawBufferPointer(start: home, count: strlen(home)), as: UTF8.self)
                + "/netlab-work"
        }
        return (environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path) + "/netlab-work"
    }

    /// Under sudo, what was made for the student belongs to them (they may move or delete it).
    static func giveToInvokingUser(_ paths: [String]) {
        let environment = ProcessInfo.processInfo.environment
        guard geteuid() == 0, let uid = environment["SUDO_UID"].flatMap({ uid_t($0) }),
            let gid = environment["SUDO_GID"].flatMap({ gid_t($0) })
        else { return }
        for path in paths { _ = chown(path, uid, gid) }
    }

    func run() throws {
        let lesson = try location.lesson(number)
        guard let exerciseBlock = lesson.exercise else {
            throw Failure(
                "lesson \(number) has no exercise block, so no filter to record with", exitCode: ExitCodes.usage)
        }
        // A lesson on a `netlab path` (19, 20): lo never sees its packets.
        if !exercise, lesson.exerciseCaptureFile != nil {
            throw Failure(
                "lesson \(number) runs on a netlab path, whose packets never cross lo: record inside the path as its "
                    + "steps do (`sudo netlab sniff --path server -w ~/netlab-work/lesson-\(number).pcap "
                    + "\(exerciseBlock.filter)`), or run `sudo netlab lesson record \(number) --exercise`",
                exitCode: ExitCodes.usage)
        }
        let target: String
        var made: [String] = []
        if let output {
            target = output
        } else {
            let directory = Self.workDirectory
            if !FileManager.default.fileExists(atPath: directory) { made.append(directory) }
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw Failure(
                    "cannot make \(directory): \(error.localizedDescription)", exitCode: ExitCodes.cannotCreate)
            }
            target = directory + "/lesson-\(number < 10 ? "0" : "")\(number).pcap"
        }
        // The lesson's ports, or the free ones the lesson runner put in their place.
        let filter = LessonPorts.apply(
            ProcessInfo.processInfo.environment["NETLAB_LESSON_PORTS"] ?? "", to: exerciseBlock.filter)
        let packets =
            exercise ? try runExercise(lesson, to: target) : try recordUntilStopped(filter: filter, to: target)
        Self.giveToInvokingUser(made + [target])
        Console.error("Wrote \(packets) packet\(packets == 1 ? "" : "s") to \(target).")
        Console.error("Next: netlab lesson check \(number) \(target)\(student.map { " --student \($0)" } ?? "")")
    }

    /// What to say when capturing is not allowed: why, and what to do instead.
    private func permissionFailure(_ message: String, filter: String) -> Failure {
        Failure(
            "cannot record lesson \(number): capturing on lo needs root or CAP_NET_RAW (\(message)); run "
                + "`sudo netlab lesson record \(number)\(exercise ? " --exercise" : "")`, or capture with any tool "
                + "using the filter '\(filter)' and pass that file to `netlab lesson check \(number) FILE`",
            exitCode: ExitCodes.permission)
    }

    /// Opens lo for capture, or says in one line why it cannot and what to do.
    private func openLoopback(filter: String) throws -> CaptureHandle {
        do {
            return try CaptureHandle.live(interface: "lo")
        } catch .permissionDenied(_, let message) {
            throw permissionFailure(message, filter: filter)
        } catch {
            throw failure(error)
        }
    }

    private func recordUntilStopped(filter: String, to target: String) throws -> Int {
        let handle = try openLoopback(filter: filter)
        do {
            try handle.setFilter(filter)
        } catch {
            throw failure(error)
        }
        // Before the first line: a Ctrl-C sent as soon as it appears is kept.
        StopSignals.install()
        let writer: CaptureWriter
        do {
            writer = try CaptureWriter(path: target, for: handle)
        } catch {
            throw failure(error)
        }
        Console.error(
            "Recording lesson \(number) on lo (filter: \(filter)) into \(target). Do the lesson's steps; Ctrl-C stops.")
        let session = CaptureSession(
            handle: handle, linkType: LinkType(rawValue: handle.linkType), verbosity: 0, printing: false,
            writer: writer)
        do {
            return try session.run(count: 0).packets
        } catch {
            throw failure(error)
        }
    }

    private func runExercise(_ lesson: Lesson, to target: String) throws -> Int {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var exercise = LessonExercise(
            lesson: lesson, binDirectory: executable.deletingLastPathComponent().path,
            workingDirectory: URL(fileURLWithPath: lesson.path).deletingLastPathComponent()
                .deletingLastPathComponent().path)
        exercise.student = student
        // Asked first, so a student without the permission reads one line, not a half-run exercise.
        _ = try openLoopback(filter: lesson.exercise?.filter ?? "")
        Console.error(
            "Running lesson \(number)'s exercise "
                + (lesson.exerciseCaptureFile == nil ? "on lo " : "(it captures inside the path) ")
                + "while recording into \(target)…")
        do {
            _ = try exercise.record(to: target)
        } catch {
            if case .capture(let captureError) = error, case .permissionDenied(_, let message) = captureError {
                throw permissionFailure(message, filter: lesson.exercise?.filter ?? "")
            }
            throw Failure("\(error)", exitCode: ExitCodes.software)
        }
        return (try? CaptureFacts.read(target).frames) ?? 0
    }
}
