import Foundation
import Labs
import XCTest

/// The lessons are part of the product: every command in them runs, every check passes on
/// its bundled capture and fails, helpfully, on a capture that lacks what it needs.
final class LessonTests: XCTestCase {
    static let lessonsDirectory = Harness.root.appendingPathComponent("lessons").path

    func lessons() throws -> [Lesson] {
        let lessons = try Lesson.all(in: Self.lessonsDirectory)
        XCTAssertGreaterThanOrEqual(lessons.count, 10)
        return lessons
    }

    /// The doc test: each ```sh block of each lesson, run as a student would, in order.
    func testEveryLessonCommandRuns() throws {
        let bin = try Harness.netlab.deletingLastPathComponent().path
        var ran = 0, skipped: [String] = [], failures: [String] = [], recorded: [String] = []
        for lesson in try lessons() {
            var runner = ScriptRunner(workingDirectory: Harness.root.path, binDirectory: bin)
            runner.timeout = 90
            runner.assignPorts()
            try runner.useScratchDirectory()
            defer { runner.removeScratchDirectory() }
            XCTAssertFalse(lesson.shellBlocks.isEmpty, "lesson \(lesson.number) has no commands")
            // One shell session per lesson, as a student types it: servers live on from block to
            // block until the lesson's `kill $(jobs -p)`.
            let outcomes = runner.runLesson(lesson.shellBlocks.map { ScriptRunner.commands($0.lines) })
            // As root the steps record themselves (`sudo netlab lesson record N &`): what the
            // lesson's own check says of a capture made exactly as written.
            let recording =
                (runner.scratchDirectory ?? "") + "/lesson-\(lesson.number < 10 ? "0" : "")\(lesson.number).pcap"
            if FileManager.default.fileExists(atPath: recording) {
                let check = try Harness.run(["lesson", "check", String(lesson.number), recording])
                let missing = check.stdout.split(separator: "\n").filter { $0.hasPrefix("✗") }
                if check.status != 0 {
                    failures.append(
                        "lesson \(lesson.number): a recording of its steps fails its check:\n\(check.stdout)")
                }
                recorded.append(
                    "lesson \(lesson.number) steps' recording: check exit \(check.status)"
                        + missing.map { "\n      \($0)" }.joined())
            }
            for outcome in outcomes {
                if let reason = outcome.skipped {
                    skipped.append("lesson \(lesson.number): \(outcome.command) (\(reason))")
                    continue
                }
                ran += 1
                if outcome.command.hasPrefix("netlab lesson record") {
                    let wrote = outcome.stderr.split(separator: "\n").first { $0.hasPrefix("Wrote") }
                    recorded.append("lesson \(lesson.number): \(wrote ?? "wrote nothing")")
                }
                if outcome.leftRunning {
                    failures.append(
                        "lesson \(lesson.number): `\(outcome.command)` was still running at the lesson's end")
                }
                if !outcome.ok {
                    failures.append(
                        "lesson \(lesson.number): `\(outcome.command)` exited \(outcome.status.map(String.init) ?? "?"), "
                            + "expected \(outcome.expectedStatus)\n    stdout: \(outcome.stdout.suffix(300))\n"
                            + "    stderr: \(outcome.stderr.suffix(300))")
                }
            }
        }
        print("\nLESSON COMMANDS: \(ran) run, \(failures.count) failed, \(skipped.count) skipped")
        for line in skipped { print("  SKIPPED \(line)") }
        for line in recorded { print("  RECORDED \(line)") }
        XCTAssertTrue(failures.isEmpty, failures.joined(separator: "\n"))
        XCTAssertGreaterThan(ran, 60)
        // Nothing the lessons started outlives them (fork servers' children included).
        let left = Harness.processesRunning(try Harness.netlab.resolvingSymlinksInPath().path, within: 3)
        XCTAssertEqual(left, [], "netlab processes left behind by the lesson commands")
    }

    /// An unknown or misspelt `expect` line is an error, never a check silently dropped.
    func testUnknownExpectationKindIsAnError() throws {
        for lesson in try lessons() {
            XCTAssertEqual(lesson.checkProblems, [], "lesson \(lesson.number)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-lessons-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("01-typo.md")
        try Data("# 1. Typo\n\n```check\nexpect handshake: ok\nexpect hand-shake: a typo\n```\n".utf8).write(to: file)
        let lesson = try Lesson(path: file.path)
        XCTAssertEqual(lesson.expectations.count, 1)
        XCTAssertEqual(lesson.checkProblems.count, 1)
        XCTAssertTrue(lesson.checkProblems[0].contains("'expect hand-shake: a typo'"), lesson.checkProblems[0])
        let capture = Harness.root.appendingPathComponent("captures/http-get.pcap").path
        let result = try Harness.run(["lesson", "check", "1", "--capture", capture, "--lessons", directory.path])
        XCTAssertEqual(result.status, 65, result.stdout + result.stderr)
        XCTAssertTrue(result.stderr.contains("not a check"), result.stderr)
    }

    /// Lessons keep files in ~/netlab-work; test runs must not share those files (a root run's
    /// leftovers in /tmp once broke a later plain-user run), so each run gets its own directory,
    /// and no lesson names a path in the shared temporary directory.
    func testLessonTempPathsGoToAPrivateDirectoryPerRun() throws {
        var first = ScriptRunner(workingDirectory: Harness.root.path, binDirectory: "/nonexistent")
        var second = first
        try first.useScratchDirectory()
        try second.useScratchDirectory()
        defer {
            first.removeScratchDirectory()
            second.removeScratchDirectory()
        }
        let a = try XCTUnwrap(first.scratchDirectory), b = try XCTUnwrap(second.scratchDirectory)
        XCTAssertNotEqual(a, b)
        // Names unique to this run: the shared directory itself is never written.
        let name = "netlab-note-\(UUID()).txt"
        let shared = ScriptRunner.workDirectory + "/" + name
        XCTAssertEqual(first.substitute("mkdir -p \(shared)"), "mkdir -p \(a)/\(name)")
        XCTAssertEqual(first.substitute("mkdir -p \(ScriptRunner.workDirectory)"), "mkdir -p \(a)")
        for lesson in try lessons() {
            let text = try String(contentsOfFile: lesson.path, encoding: .utf8)
            let temporary = FileManager.default.temporaryDirectory.path + "/"
            XCTAssertFalse(text.contains(temporary), "lesson \(lesson.number) names a path in \(temporary)")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: a)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        let outcome = first.run(["echo hi > \(shared)", "cat \(shared)"])
        XCTAssertEqual(outcome.last?.stdout, "hi\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: a + "/" + name))
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        XCTAssertFalse(FileManager.default.fileExists(atPath: home + "/netlab-work/" + name))
        first.removeScratchDirectory()
        XCTAssertFalse(FileManager.default.fileExists(atPath: a))
    }

    /// Lesson 4 teaches that a serial server cannot serve a second client while one holds it.
    /// Its failure mode — the second client gave up before the serial server's late 200 — must
    /// fail the check (it used to pass: two connections, overlapping, and a 200), and only on
    /// the point the lesson makes.
    func testLessonFourRejectsTheSerialServersLateAnswer() throws {
        let capture = Harness.root.appendingPathComponent("captures/lesson-04-serial-timeout.pcap").path
        let result = try Harness.run(["lesson", "check", "4", "--capture", capture])
        XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let failed = lines.filter { $0.hasPrefix("✗") }
        XCTAssertEqual(failed.count, 1, result.stdout)
        XCTAssertTrue(failed.first?.contains("served while 2 connections were open") == true, result.stdout)
        XCTAssertTrue(failed.first?.contains("came after the client had given up") == true, result.stdout)
        XCTAssertTrue(result.stdout.contains("use a model other than serial"), result.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("✓ an HTTP response with status 200") }, result.stdout)
    }

    func testEveryCheckPassesOnItsCaptureAndFailsOnOneThatLacksIt() throws {
        var report: [String] = []
        for lesson in try lessons() {
            let bundled = try XCTUnwrap(lesson.bundledCapture, "lesson \(lesson.number) names no capture")
            XCTAssertGreaterThan(lesson.expectations.count, 1, "lesson \(lesson.number)")
            XCTAssertTrue(lesson.expectations.allSatisfy { !$0.hint.isEmpty }, "every expectation needs a hint")
            let pass = try Harness.run(["lesson", "check", String(lesson.number), "--capture", bundled])
            XCTAssertEqual(pass.status, 0, "lesson \(lesson.number) on \(bundled):\n\(pass.stdout)\(pass.stderr)")
            XCTAssertTrue(pass.stdout.contains("All \(lesson.expectations.count) checks pass."), pass.stdout)

            // A capture of something else: the UDP lesson's for the TCP lessons, and the reverse.
            let udpLessons: Set<Int> = [7, 10]
            let other =
                udpLessons.contains(lesson.number) ? "captures/lesson-02-echo.pcap" : "captures/lesson-07-udp.pcap"
            let fail = try Harness.run(["lesson", "check", String(lesson.number), "--capture", other])
            XCTAssertEqual(fail.status, 1, "lesson \(lesson.number) on \(other) should fail:\n\(fail.stdout)")
            XCTAssertTrue(fail.stdout.contains("missing. What to do:"), fail.stdout)
            XCTAssertTrue(fail.stdout.contains("  • "), "the student is told what to do: \(fail.stdout)")
            report.append("lesson \(lesson.number): passes on \(bundled), fails on \(other)")
        }
        print("\nLESSON CHECKS:\n  " + report.joined(separator: "\n  "))
        let missing = try Harness.run(["lesson", "check", "8", "--capture", "/nonexistent.pcap"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(try Harness.run(["lesson", "check", "99", "--capture", "captures/http-get.pcap"]).status, 64)
    }

    func testListAndShow() throws {
        let list = try Harness.run(["lesson", "list", "--lessons", Self.lessonsDirectory])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains(" 8  The three-way handshake and the four-way teardown"), list.stdout)
        let show = try Harness.run(["lesson", "show", "8", "--lessons", Self.lessonsDirectory])
        XCTAssertTrue(show.stdout.contains("三次握手"))
        XCTAssertTrue(show.stdout.contains("What `netlab lesson check 8` looks for:"), show.stdout)
        XCTAssertTrue(show.stdout.contains("  • a complete three-way handshake"), show.stdout)
        XCTAssertFalse(show.stdout.contains("expect handshake"), "the check block is rendered, not shown raw")
        XCTAssertFalse(show.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
        for term in ["套接字", "三次握手", "四次挥手", "粘包"] {
            XCTAssertTrue(
                try lessons().contains { $0.markdown.contains(term) }, "the lessons should name \(term)")
        }
    }

    func testEveryExerciseLiveAndTheTour() throws {
        guard geteuid() == 0 else {
            throw XCTSkip("SKIPPED: running an exercise live and the live tour need root to capture on lo")
        }
        // Every lesson's exercise, run live and graded (what captures/record.sh does).
        for lesson in try lessons() {
            let live = try Harness.run(["lesson", "check", String(lesson.number)], timeout: 120)
            XCTAssertEqual(live.status, 0, "lesson \(lesson.number): \(live.stdout)\(live.stderr)")
            XCTAssertTrue(live.stdout.contains("All \(lesson.expectations.count) checks pass."), live.stdout)
        }
        let tour = try Harness.run(["tour"], timeout: 60)
        XCTAssertEqual(tour.status, 0, tour.stderr)
        for part in ["Act 1: the three-way handshake", "Act 2: the HTTP request", "Act 3: the teardown", "TIME-WAIT"] {
            XCTAssertTrue(tour.stdout.contains(part), "the tour lacks \(part):\n\(tour.stdout)")
        }
        XCTAssertTrue(tour.stdout.contains("HTTP: frames"), tour.stdout)
        XCTAssertFalse(tour.stdout.contains("Replaying"), "as root the tour is live")
    }
}
