import Capture
import Foundation

/// `netlab lesson check N` without a capture file: run the lesson's exercise live on lo while
/// capturing, save the capture, and grade it like a student's own.
public struct LessonExercise {
    public var lesson: Lesson
    public var binDirectory: String
    public var workingDirectory: String
    /// The ID the exercise carries on the wire (its `{student}`); `StudentID.anonymous` if nil.
    public var student: String?

    public init(lesson: Lesson, binDirectory: String, workingDirectory: String) {
        self.lesson = lesson
        self.binDirectory = binDirectory
        self.workingDirectory = workingDirectory
    }

    public enum Failure: Error, CustomStringConvertible {
        case noExercise
        case capture(CaptureError)
        case commandFailed(ScriptRunner.Outcome)
        case scratch(String)
        public var description: String {
            switch self {
            case .noExercise: "this lesson has no exercise to run"
            case .capture(let error): "cannot capture: \(error)"
            case .scratch(let reason): "cannot make a temporary directory: \(reason)"
            case .commandFailed(let outcome):
                "`\(outcome.command)` exited with \(outcome.status.map(String.init) ?? "a timeout") "
                    + "(expected \(outcome.expectedStatus)): \(outcome.stderr.split(separator: "\n").last ?? "")"
            }
        }
    }

    /// Runs the exercise; the capture is written to `path`. Returns the commands' outcomes.
    public func record(to path: String) throws(Failure) -> [ScriptRunner.Outcome] {
        guard let exercise = lesson.exercise else { throw .noExercise }
        var runner = ScriptRunner(workingDirectory: workingDirectory, binDirectory: binDirectory)
        runner.assignPorts()
        runner.substitutions["{student}"] = student ?? StudentID.anonymous
        do {
            try runner.useScratchDirectory()
        } catch {
            throw .scratch("\(error)")
        }
        defer { runner.removeScratchDirectory() }
        if let file = lesson.exerciseCaptureFile { return try recordItself(runner, file: file, to: path) }
        let capture: BackgroundCapture
        do {
            capture = try BackgroundCapture.start(filter: runner.substitute(exercise.filter))
        } catch {
            throw .capture(error)
        }
        let outcomes = runner.run(exercise.commands)
        let frames = capture.stop(settle: 0.3)
        do {
            try capture.save(frames, to: path)
        } catch {
            throw .capture(error)
        }
        if let failed = outcomes.first(where: { !$0.ok }) { throw .commandFailed(failed) }
        return outcomes
    }

    /// An exercise that captures itself (on a path, see `Lesson.exerciseCaptureFile`): its
    /// commands run, then the file they wrote becomes the capture at `path`.
    private func recordItself(_ runner: ScriptRunner, file: String, to path: String) throws(Failure)
        -> [ScriptRunner.Outcome]
    {
        guard let exercise = lesson.exercise else { throw .noExercise }
        let outcomes = runner.run(exercise.commands)
        if let failed = outcomes.first(where: { !$0.ok }) { throw .commandFailed(failed) }
        let written = runner.substitute(file)
        do {
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.copyItem(atPath: written, toPath: path)
        } catch {
            throw .capture(
                .cannotWrite(path, message: "copying the exercise's capture \(written): \(error.localizedDescription)"))
        }
        return outcomes
    }
}
