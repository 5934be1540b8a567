import Capture
import Foundation
import Labs
import TestSupport
import XCTest

/// The lesson tools around the checks: each lesson's own ports and its cleanup step, `lesson
/// record`, `--student` and the refusal of captures that are not the student's own, and `lesson
/// grade` over a directory of captures made here.
final class LessonToolsTests: XCTestCase {
    static let lessonsDirectory = Harness.root.appendingPathComponent("lessons").path

    func lessons() throws -> [Lesson] {
        let lessons = try Lesson.all(in: Self.lessonsDirectory)
        XCTAssertGreaterThanOrEqual(lessons.count, 10)
        return lessons
    }

    /// Every command line of a lesson: its steps and its exercise.
    func commandLines(_ lesson: Lesson) -> [String] {
        lesson.shellBlocks.flatMap { ScriptRunner.commands($0.lines) }
            + (lesson.exercise.map { [$0.filter] + $0.commands } ?? [])
    }

    func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-ltools-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    // MARK: ports and cleanup

    func testEachLessonUsesOnlyItsOwnPorts() throws {
        var owner: [Int: Int] = [:]
        var report: [String] = []
        for lesson in try lessons() {
            let block = LessonPorts.block(lesson.number)
            var ports = Set<Int>()
            for line in commandLines(lesson) {
                for port in LessonPorts.mentioned(in: line) {
                    XCTAssertTrue(
                        block.contains(port), "lesson \(lesson.number) uses \(port), outside \(block): \(line)")
                    ports.insert(port)
                }
            }
            for port in ports {
                if let other = owner[port], other != lesson.number {
                    XCTFail("port \(port) is used by lessons \(other) and \(lesson.number)")
                }
                owner[port] = lesson.number
            }
            // Every port a lesson names is one the runner replaces by a free one.
            XCTAssertTrue(ports.allSatisfy { ScriptRunner.lessonPorts.contains(String($0)) })
            report.append("lesson \(lesson.number): \(ports.sorted().map(String.init).joined(separator: ", "))")
        }
        XCTAssertGreaterThanOrEqual(owner.count, 10, "the lessons name their ports")
        print("\nLESSON PORTS:\n  " + report.joined(separator: "\n  "))
        // The extractor itself, on the forms lessons write.
        XCTAssertEqual(LessonPorts.mentioned(in: "netlab server echo --port 8100 &"), [8100])
        XCTAssertEqual(LessonPorts.mentioned(in: "netlab client http http://127.0.0.1:8300/x"), [8300])
        XCTAssertEqual(LessonPorts.mentioned(in: "netlab client tcp 127.0.0.1 8101"), [8101])
        XCTAssertEqual(LessonPorts.mentioned(in: "capture: tcp port 8800 or udp port 8801"), [8800, 8801])
        XCTAssertEqual(LessonPorts.mentioned(in: "ss -tan '( sport = :8800 )'"), [8800])
        XCTAssertEqual(LessonPorts.mentioned(in: "netlab resolve localhost 80 --type any"), [])
        XCTAssertEqual(
            LessonPorts.apply("8100=41000 8101=41001", to: "tcp port 8100 or port 8101 or 18100"),
            "tcp port 41000 or port 41001 or 18100")
    }

    /// A lesson that starts a background program ends with `kill $(jobs -p)`, after the last one.
    func testEveryLessonThatStartsSomethingStopsIt() throws {
        var stopping = 0
        for lesson in try lessons() {
            let commands = lesson.shellBlocks.flatMap { ScriptRunner.commands($0.lines) }.map {
                $0.replacingOccurrences(of: #"\s+#.*$"#, with: "", options: .regularExpression)
            }
            guard let lastBackground = commands.lastIndex(where: { $0.hasSuffix("&") }) else { continue }
            stopping += 1
            XCTAssertTrue(
                commands[lastBackground...].contains(ScriptRunner.cleanup),
                "lesson \(lesson.number) starts background programs but never runs `\(ScriptRunner.cleanup)` after them"
            )
        }
        XCTAssertGreaterThanOrEqual(stopping, 9)
    }

    /// The runner behaves as a student's shell: a server started in one block answers in the
    /// next, `kill $(jobs -p)` stops it (it must exit cleanly on SIGTERM), and one nobody
    /// stopped is reported as left running.
    func testRunnerKeepsBackgroundProgramsUntilTheCleanup() throws {
        let bin = try Harness.netlab.deletingLastPathComponent().path
        var runner = ScriptRunner(workingDirectory: Harness.root.path, binDirectory: bin)
        runner.assignPorts()
        let stopped = runner.runLesson([
            ["netlab server echo --port 8100 &"], ["echo hi | netlab client tcp 127.0.0.1 8100"],
            [ScriptRunner.cleanup, "netlab client tcp 127.0.0.1 8100   # exit 69"],
        ])
        XCTAssertTrue(
            stopped.allSatisfy(\.ok),
            stopped.map { "\($0.command): \($0.status ?? -9) \($0.stderr)" }.joined(separator: "\n"))
        XCTAssertEqual(
            stopped.count, 4, "the client, the server stopped by the cleanup, the cleanup, the refused client")
        XCTAssertTrue(stopped.contains { $0.stdout.contains("hi") })
        XCTAssertFalse(stopped.contains(where: \.leftRunning))
        let left = runner.runLesson([["netlab server echo --port 8100 &"]])
        XCTAssertEqual(left.map(\.leftRunning), [true])
        // One that ended by itself was not left running.
        let ended = runner.runLesson([
            ["netlab udp recv --port 8101 -c 1 &", "netlab udp send 127.0.0.1 8101 one", "sleep 1"]
        ])
        XCTAssertEqual(ended.map(\.leftRunning), [false, false, false], ended.map(\.stderr).joined())
        // The leftover scan the lesson test relies on sees a running netlab, and then none.
        let server = Process()
        server.executableURL = try Harness.netlab
        server.arguments = ["server", "echo", "--port", "0"]
        server.standardError = FileHandle.nullDevice
        try server.run()
        let path = try Harness.netlab.resolvingSymlinksInPath().path
        XCTAssertEqual(Harness.processesRunning(path, within: 0).count, 1)
        server.interrupt()
        server.waitUntilExit()
        XCTAssertEqual(Harness.processesRunning(path, within: 3), [])
    }

    // MARK: record

    /// Without the permission to capture: one line saying why and what to do, exit 77. As root
    /// the command runs as `nobody` (setpriv, no capabilities), so CI checks it too.
    func testRecordWithoutPermissionSaysWhyAndWhatToDo() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("mine.pcap").path
        let setpriv = URL(fileURLWithPath: "/usr/bin/setpriv")
        func record(_ arguments: [String]) throws -> Harness.Result {
            guard geteuid() == 0 else { return try Harness.run(arguments) }
            guard FileManager.default.isExecutableFile(atPath: setpriv.path) else {
                throw XCTSkip("SKIPPED: as root the capture is allowed, and setpriv is missing to drop it")
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
            let (status, out, err) = try Harness.runProcess(
                setpriv,
                ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", try Harness.netlab.path]
                    + arguments,
                environment: ["HOME": directory.path, "PATH": "/usr/bin:/bin"], timeout: 60)
            return Harness.Result(
                status: status, stdout: String(decoding: out, as: UTF8.self),
                stderr: String(decoding: err, as: UTF8.self))
        }
        let lessons = ["--lessons", Self.lessonsDirectory]
        let result = try record(["lesson", "record", "2", "--output", output] + lessons)
        if result.status == 0 { throw XCTSkip("SKIPPED: this user may capture (CAP_NET_RAW); nothing to refuse") }
        XCTAssertEqual(result.status, 77, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("needs root or CAP_NET_RAW"), result.stderr)
        XCTAssertTrue(result.stderr.contains("sudo netlab lesson record 2`"), result.stderr)
        XCTAssertTrue(result.stderr.contains("'tcp port 8200'"), "the filter to use instead: \(result.stderr)")
        let exercise = try record(["lesson", "record", "2", "--exercise", "--output", output] + lessons)
        XCTAssertEqual(exercise.status, 77, exercise.stderr)
        XCTAssertEqual(exercise.stderr.split(separator: "\n").count, 1, exercise.stderr)
        XCTAssertTrue(exercise.stderr.contains("sudo netlab lesson record 2 --exercise`"), exercise.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "nothing half-written")
    }

    /// As root: `lesson record 2` until Ctrl-C while a student does the steps (ports mapped as the
    /// lesson runner maps them), and `--exercise --student`; both pass `lesson check --student`.
    func testRecordEndToEnd() throws {
        try Harness.requireLiveCapture()
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        var runner = ScriptRunner(
            workingDirectory: Harness.root.path, binDirectory: try Harness.netlab.deletingLastPathComponent().path)
        runner.assignPorts()
        let port = try XCTUnwrap(runner.substitutions["8200"])

        let recorder = Process()
        recorder.executableURL = try Harness.netlab
        recorder.arguments = ["lesson", "record", "2"]
        var environment = ProcessInfo.processInfo.environment
        environment["NETLAB_WORK"] = directory.path
        environment["NETLAB_LESSON_PORTS"] = runner.portMapping
        recorder.environment = environment
        recorder.currentDirectoryURL = Harness.root
        let errors = Pipe()
        recorder.standardError = errors
        recorder.standardOutput = FileHandle.nullDevice
        let collector = LineCollector()
        collector.attach(errors)
        try recorder.run()
        XCTAssertTrue(collector.wait(until: Date() + 10) { $0.contains { $0.1.hasPrefix("Recording lesson 2") } })
        let steps = runner.run([
            "netlab server echo --port 8200 &",
            "printf 'X-Student: s42\\nline one\\n' | netlab client tcp 127.0.0.1 8200",
        ])
        XCTAssertTrue(steps.allSatisfy(\.ok), steps.map(\.stderr).joined())
        Thread.sleep(forTimeInterval: 0.3)
        recorder.interrupt()
        recorder.waitUntilExit()
        collector.waitForEnd()
        XCTAssertEqual(recorder.terminationStatus, 0)
        let file = directory.path + "/lesson-02.pcap"
        let said = collector.snapshot.map(\.1).joined(separator: "\n")
        XCTAssertTrue(said.contains("tcp port \(port)"), "the filter has the mapped port: \(said)")
        XCTAssertTrue(said.contains("to \(file)."), said)
        XCTAssertTrue(said.contains("Next: netlab lesson check 2 \(file)"), said)
        let mine = try Harness.run(["lesson", "check", "2", file, "--student", "s42"])
        XCTAssertEqual(mine.status, 0, mine.stdout + mine.stderr)
        XCTAssertTrue(mine.stdout.contains("✓ your student ID on the wire — X-Student: s42"), mine.stdout)
        let other = try Harness.run(["lesson", "check", "2", file, "--student", "s4"])
        XCTAssertEqual(other.status, 1, other.stdout)
        XCTAssertTrue(other.stdout.contains("the capture carries s42 instead"), other.stdout)

        // Under sudo the recording belongs to the student who ran it, not to root.
        if geteuid() == 0 {
            let owned = directory.path + "/owned.pcap"
            let run = try Harness.run(
                ["lesson", "record", "2", "--exercise", "--output", owned], timeout: 120,
                environment: ["SUDO_UID": "65534", "SUDO_GID": "65534", "SUDO_USER": "nobody"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let attributes = try FileManager.default.attributesOfItem(atPath: owned)
            XCTAssertEqual((attributes[.ownerAccountID] as? NSNumber)?.intValue, 65534)
        }
        for lesson in [2, 7] {
            let output = directory.path + "/exercise-\(lesson).pcap"
            let run = try Harness.run(
                ["lesson", "record", String(lesson), "--exercise", "--student", "s\(lesson)", "--output", output],
                timeout: 120)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stderr.contains("Next: netlab lesson check \(lesson) \(output) --student s\(lesson)"))
            let check = try Harness.run(["lesson", "check", String(lesson), output, "--student", "s\(lesson)"])
            XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        }
    }

    // MARK: --student and refusals

    func testStudentIDAndRefusals() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bundled = Harness.root.appendingPathComponent("captures/lesson-03-http.pcap").path
        // A bundled capture passes the checks but is nobody's own work.
        let refused = try Harness.run(["lesson", "check", "3", bundled, "--student", "s01"])
        XCTAssertEqual(refused.status, 1, refused.stdout)
        XCTAssertTrue(
            refused.stdout.contains("✗ refused: this is netlab's bundled capture captures/lesson-03-http.pcap"))
        XCTAssertTrue(refused.stdout.contains("checks pass."), refused.stdout)
        XCTAssertTrue(refused.stdout.contains("Not accepted"), refused.stdout)

        let mine = directory.appendingPathComponent("s01.pcap").path
        try CaptureMaker.withStudent(from: bundled, id: "s01", to: mine)
        let pass = try Harness.run(["lesson", "check", "3", mine, "--student", "s01"])
        XCTAssertEqual(pass.status, 0, pass.stdout + pass.stderr)
        let wrong = try Harness.run(["lesson", "check", "3", mine, "--student", "s02"])
        XCTAssertEqual(wrong.status, 1, wrong.stdout)
        XCTAssertTrue(wrong.stdout.contains("✗ your student ID on the wire"), wrong.stdout)
        XCTAssertTrue(wrong.stdout.contains("an X-Student header in every request"), "the lesson says where")

        // Seen before: listed (sha256sum format) in the instructor's registry.
        let registry = directory.appendingPathComponent("seen.sha256").path
        try Data("# handed in last year\n\(try StudentID.sha256(of: mine))  2025/s01.pcap\n".utf8)
            .write(to: URL(fileURLWithPath: registry))
        let seen = try Harness.run(["lesson", "check", "3", mine, "--student", "s01", "--seen", registry])
        XCTAssertEqual(seen.status, 1, seen.stdout)
        XCTAssertTrue(seen.stdout.contains("handed in before (2025/s01.pcap"), seen.stdout)
        let sha = try Harness.runProcess(URL(fileURLWithPath: "/usr/bin/sha256sum"), [mine], timeout: 10)
        XCTAssertTrue(String(decoding: sha.1, as: UTF8.self).hasPrefix(try StudentID.sha256(of: mine)))

        XCTAssertEqual(try Harness.run(["lesson", "check", "3", mine, "--student", "a b"]).status, 64)
        XCTAssertEqual(try Harness.run(["lesson", "check", "3", mine, "--capture", mine]).status, 64)
        XCTAssertEqual(StudentID.fromFileName("/x/lesson-03-s01.pcapng"), "s01")
        XCTAssertEqual(StudentID.fromFileName("s01.pcap"), "s01")
        XCTAssertNil(StudentID.fromFileName("a b.pcap"))
    }

    /// Every exercise names where it carries the ID and sends it; as root, each run live with
    /// `--student` passes with the ID found, and fails when another ID is required.
    func testEveryExerciseCarriesTheStudentID() throws {
        for lesson in try lessons() {
            let exercise = try XCTUnwrap(lesson.exercise, "lesson \(lesson.number) has no exercise")
            XCTAssertNotNil(lesson.studentPlacement, "lesson \(lesson.number) says where the ID goes")
            XCTAssertTrue(
                exercise.commands.contains { $0.contains(StudentID.marker + "{student}") },
                "lesson \(lesson.number)'s exercise sends X-Student: {student}")
        }
        try Harness.requireLiveCapture()
        for lesson in try lessons() {
            let id = "st-\(lesson.number)"
            let directory = try scratch()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.path + "/\(id).pcap"
            let live = try Harness.run(
                ["lesson", "check", String(lesson.number), "--student", id, "--save", file], timeout: 120)
            XCTAssertEqual(live.status, 0, "lesson \(lesson.number): \(live.stdout)\(live.stderr)")
            XCTAssertTrue(live.stdout.contains("✓ your student ID on the wire — X-Student: \(id) "), live.stdout)
            let other = try Harness.run(["lesson", "check", String(lesson.number), file, "--student", "someone"])
            XCTAssertEqual(other.status, 1, "lesson \(lesson.number): \(other.stdout)")
        }
    }

    /// The ID scanner against a regular expression over the same bytes, on generated frames:
    /// random bytes with markers inserted — valid IDs, empty ones, ones longer than 64, markers
    /// cut at the frame's end, markers back to back. Every case must agree.
    func testStudentIDScannerAgreesWithARegexReference() throws {
        let cases = Int(ProcessInfo.processInfo.environment["NETLAB_STUDENTID_CASES"] ?? "") ?? 400
        var generator = SeededGenerator(state: 0x5EED_1D)
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try NSRegularExpression(pattern: "X-Student: ([A-Za-z0-9._-]{1,64})")
        let idBytes = Array("abcXYZ019._-".utf8), marker = Array(StudentID.marker.utf8)
        var disagreements: [String] = [], found = 0
        for index in 0..<cases {
            var frames: [[UInt8]] = []
            for _ in 0..<Int.random(in: 1...5, using: &generator) {
                var frame = (0..<Int.random(in: 0...120, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                for _ in 0..<Int.random(in: 0...3, using: &generator) {
                    var insert = marker
                    switch Int.random(in: 0..<6, using: &generator) {
                    case 0: insert = Array(marker.prefix(Int.random(in: 1..<marker.count, using: &generator)))
                    case 1: insert += marker
                    default: break
                    }
                    insert += (0..<Int.random(in: 0...80, using: &generator)).map { _ in
                        idBytes.randomElement(using: &generator)!
                    }
                    frame.insert(contentsOf: insert, at: Int.random(in: 0...frame.count, using: &generator))
                }
                frames.append(frame)
            }
            let path = directory.appendingPathComponent("case-\(index).pcap").path
            let writer = try CaptureWriter(path: path, linkType: 1)
            for frame in frames {
                frame.withUnsafeBytes {
                    writer.write(
                        CapturedPacket(
                            seconds: 1, fraction: 0, captureLength: frame.count, wireLength: frame.count, bytes: $0))
                }
            }
            writer.flush()
            var expected: [(String, Int)] = []
            for (number, frame) in frames.enumerated() {
                let text = String(decoding: frame.map { $0 < 0x80 ? $0 : 0x3F }, as: UTF8.self)
                for match in reference.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    let id = String(text[Range(match.range(at: 1), in: text)!])
                    if !expected.contains(where: { $0.0 == id }) { expected.append((id, number + 1)) }
                }
            }
            let scanned = try StudentID.onWire(in: path)
            found += scanned.count
            if scanned.map({ "\($0.id)@\($0.frame)" }) != expected.map({ "\($0.0)@\($0.1)" }) {
                disagreements.append("case \(index): scanned \(scanned), reference \(expected)")
            }
        }
        print(
            "\nSTUDENT ID SCANNER: \(cases) generated captures, \(found) IDs found, \(disagreements.count) disagreements"
        )
        XCTAssertEqual(disagreements, [])
        XCTAssertGreaterThan(found, cases / 2, "the generator plants IDs")
    }

    // MARK: grade

    /// A class generated from a seed: good captures, ones of the wrong lesson, copies of the
    /// bundled capture, one student's file handed in twice, captures without the ID, and IDs
    /// that disagree with the file name. The model below says what each must get; the CSV must
    /// agree row by row, and the exit status with the whole.
    func testGradeAGeneratedClass() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["NETLAB_GRADE_SEED"] ?? "") ?? 20_261_201
        let size = Int(ProcessInfo.processInfo.environment["NETLAB_GRADE_STUDENTS"] ?? "") ?? 16
        var generator = SeededGenerator(state: seed)
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let submissions = directory.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: submissions, withIntermediateDirectories: true)
        let good = Harness.root.appendingPathComponent("captures/lesson-03-http.pcap").path
        let wrongLesson = Harness.root.appendingPathComponent("captures/lesson-02-echo.pcap").path

        enum Kind: CaseIterable { case good, wrongLesson, bundled, copied, noID, otherName }
        var expected: [String: (student: String, result: String)] = [:]  // file → model
        var firstGood: String?
        for index in 0..<size {
            let id = "s\(index < 10 ? "0" : "")\(index)"
            let file = "\(id).pcap"
            let path = submissions.appendingPathComponent(file).path
            // The first six are one of each kind (a good one first, for the copies); then random.
            let fixed: [Kind] = [.good, .copied, .bundled, .noID, .wrongLesson, .otherName]
            let kind = index < fixed.count ? fixed[index] : Kind.allCases.randomElement(using: &generator)!
            switch kind {
            case .good:
                try CaptureMaker.withStudent(from: good, id: id, to: path, salt: index)
                expected[file] = (id, "pass")
                firstGood = firstGood ?? file
            case .wrongLesson:
                try CaptureMaker.withStudent(from: wrongLesson, id: id, to: path, salt: index)
                expected[file] = (id, "fail")
            case .bundled:
                try FileManager.default.copyItem(atPath: good, toPath: path)
                expected[file] = (id, "refused")
            case .copied:
                let original = try XCTUnwrap(firstGood)
                try FileManager.default.copyItem(
                    atPath: submissions.appendingPathComponent(original).path, toPath: path)
                expected[file] = (String(original.dropLast(5)), "duplicate")
                expected[original] = (String(original.dropLast(5)), "duplicate")
            case .noID:
                try CaptureMaker.withStudent(from: good, id: nil, to: path, salt: index)
                expected[file] = (id, "no-id")
            case .otherName:
                try CaptureMaker.withStudent(from: good, id: "x\(index)", to: path, salt: index)
                expected[file] = ("x\(index)", "pass")
            }
        }
        let csv = directory.appendingPathComponent("grades.csv").path
        let html = directory.appendingPathComponent("grades.html").path
        let result = try Harness.run(
            ["lesson", "grade", "3", submissions.path, "--csv", csv, "--html", html], timeout: 120)
        XCTAssertEqual(result.status, 1, "a class with failures: \(result.stdout)\(result.stderr)")
        XCTAssertTrue(result.stderr.contains("[\(size)/\(size)]"), "progress on stderr: \(result.stderr)")
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\r\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = try XCTUnwrap(rows.first)
        XCTAssertEqual(Array(header.prefix(3)), ["student", "file", "sha256"])
        let lesson = try XCTUnwrap(try lessons().first { $0.number == 3 })
        XCTAssertEqual(header.count, 3 + lesson.expectations.count + 5, "one column per expectation of lesson 3")
        let resultColumn = try XCTUnwrap(header.firstIndex(of: "result"))
        var disagreements: [String] = []
        for row in rows.dropFirst() {
            guard let model = expected[row[1]] else {
                disagreements.append("unexpected row \(row)")
                continue
            }
            if row[0] != model.student || row[resultColumn] != model.result {
                disagreements.append(
                    "\(row[1]): graded \(row[0]) \(row[resultColumn]), model \(model.student) \(model.result)")
            }
        }
        XCTAssertEqual(rows.count - 1, size)
        XCTAssertEqual(disagreements, [], "seed \(seed)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertTrue(page.hasPrefix("<!DOCTYPE html>"))
        XCTAssertFalse(page.contains("src=") || page.contains("href="), "self-contained: nothing to fetch")
        for (file, model) in expected {
            XCTAssertTrue(page.contains(file) && page.contains(model.student), file)
        }
        XCTAssertEqual(page.components(separatedBy: "<tr>").count - 2, size, "a header row, then one per capture")
        XCTAssertTrue(result.stdout.contains("pass."), result.stdout)
        let counts = Dictionary(grouping: expected.values, by: \.result).mapValues(\.count)
        print("\nGRADE: seed \(seed), \(size) captures, \(counts.sorted { $0.key < $1.key }), 0 disagreements")

        // Only the good ones, and the registry: 0, then all refused once registered.
        let clean = directory.appendingPathComponent("clean")
        try FileManager.default.createDirectory(at: clean, withIntermediateDirectories: true)
        for (file, model) in expected where model.result == "pass" && !file.hasPrefix("s01") {
            try FileManager.default.copyItem(
                at: submissions.appendingPathComponent(file), to: clean.appendingPathComponent(file))
        }
        let registry = directory.appendingPathComponent("seen.sha256").path
        let allPass = try Harness.run(["lesson", "grade", "3", clean.path, "--seen", registry, "--update-seen"])
        XCTAssertEqual(allPass.status, 0, allPass.stdout + allPass.stderr)
        let again = try Harness.run(["lesson", "grade", "3", clean.path, "--seen", registry])
        XCTAssertEqual(again.status, 1, again.stdout)
        XCTAssertTrue(again.stdout.contains("handed in before"), again.stdout)

        let empty = directory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertEqual(try Harness.run(["lesson", "grade", "3", empty.path]).status, 66)
        XCTAssertEqual(
            try Harness.run(["lesson", "grade", "3", directory.appendingPathComponent("nope").path]).status, 66)
        let help = try Harness.run(["lesson", "grade", "--help"])
        XCTAssertTrue(help.stdout.contains("Examples:") && help.stdout.contains("Exit status"), help.stdout)
    }

    /// As root: captures recorded live by `lesson record --exercise --student`, one handed in
    /// twice, graded.
    func testGradeLiveRecordings() throws {
        try Harness.requireLiveCapture()
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        for id in ["a1", "b2"] {
            let run = try Harness.run(
                ["lesson", "record", "8", "--exercise", "--student", id, "--output", directory.path + "/\(id).pcap"],
                timeout: 120)
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        try FileManager.default.copyItem(atPath: directory.path + "/b2.pcap", toPath: directory.path + "/c3.pcap")
        let result = try Harness.run(["lesson", "grade", "8", directory.path])
        XCTAssertEqual(result.status, 1, result.stdout)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("a1") && $0.hasSuffix("pass") }, result.stdout)
        XCTAssertEqual(lines.filter { $0.hasPrefix("b2") && $0.hasSuffix("duplicate") }.count, 2, result.stdout)
    }
}

/// Captures made here: a recorded lesson capture plus one UDP datagram carrying a student's ID
/// (and a salt, so every student's file differs), written with libpcap.
enum CaptureMaker {
    static func withStudent(from source: String, id: String?, to target: String, salt: Int = 0) throws {
        let handle = try CaptureHandle.file(source)
        let writer = try CaptureWriter(path: target, linkType: handle.linkType)
        XCTAssertEqual(handle.linkType, 1, "the lesson captures are Ethernet (lo)")
        var last: (Int64, Int) = (0, 0)
        _ = try handle.forEach { packet in
            writer.write(packet)
            last = (packet.seconds, packet.fraction)
            return true
        }
        let payload = Array("\(id.map { StudentID.marker + $0 } ?? "no id") #\(salt)\n".utf8)
        var frame = [UInt8](repeating: 0, count: 12) + [0x08, 0x00]
        let total = 20 + 8 + payload.count
        var ip: [UInt8] = [
            0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ]
        var sum = 0
        for index in stride(from: 0, to: 20, by: 2) { sum += Int(ip[index]) << 8 | Int(ip[index + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        ip[10] = UInt8((~sum >> 8) & 0xFF)
        ip[11] = UInt8(~sum & 0xFF)
        let udpLength = 8 + payload.count
        frame += ip + [0x9C, 0x40, 0x9C, 0x41, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0] + payload
        frame.withUnsafeBytes { bytes in
            writer.write(
                CapturedPacket(
                    seconds: last.0, fraction: last.1 + 1 < 1_000_000 ? last.1 + 1 : last.1,
                    captureLength: bytes.count, wireLength: bytes.count, bytes: bytes))
        }
        writer.flush()
    }
}

extension Harness {
    /// Processes running `executable` (by /proc/PID/exe), as "PID args", after waiting up to
    /// `seconds` for them to end.
    static func processesRunning(_ executable: String, within seconds: Double) -> [String] {
        let deadline = Date() + seconds
        while true {
            var found: [String] = []
            let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            for pid in pids where pid.allSatisfy(\.isNumber) && Int32(pid) != getpid() {
                guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"),
                    exe == executable
                else { continue }
                let arguments = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
                found.append("\(pid) " + String(decoding: arguments.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self))
            }
            if found.isEmpty || Date() >= deadline { return found }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}
