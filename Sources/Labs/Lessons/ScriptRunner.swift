import Foundation
import Sockets
import Synchronization

/// Runs the commands of a lesson block the way a student would type them, with `sh`:
/// - a line ending in `&` starts a program in the background (a server, a capture); it runs
///   as in a student's shell, across the lesson's blocks, until `kill $(jobs -p)` stops every
///   background program (SIGTERM, as `kill` sends) — each must then exit cleanly; what is still
///   running when the run ends is stopped with Ctrl-C (SIGINT) and marked `leftRunning`;
/// - `# exit N` at the end of a line says the command is meant to fail with status N;
/// - `sudo` lines need root: run as they are when root, skipped (and reported) otherwise;
/// - `{port}`, `{port2}` and the lessons' ports (`LessonPorts`: 8100–8109 for lesson 1, …) become
///   free ports, so runs never collide with anything else on the machine; programs learn the
///   mapping from NETLAB_LESSON_PORTS (`lesson record` applies it to the lesson's filter);
/// - `~/netlab-work`, where lessons keep their files, becomes a fresh private directory
///   (`useScratchDirectory()`, also passed as NETLAB_WORK), so two runs — one as root,
///   one as a student, or two at once — never share or trip over each other's files.
/// Every foreground command has a time limit.
public struct ScriptRunner {
    public var workingDirectory: String
    /// Prepended to PATH so `netlab` is the binary under test.
    public var binDirectory: String
    public var timeout = 60.0
    public var substitutions: [String: String] = [:]
    public var isRoot = geteuid() == 0
    /// The directory lessons keep their files in, as students type it: their own, never a
    /// shared one like /tmp where students on one machine would overwrite each other.
    public static let workDirectory = "~/netlab-work"

    /// Where the lessons' `~/netlab-work` paths go (nil: left as written).
    public private(set) var scratchDirectory: String?

    /// Ports lessons use in their text, replaced by free ones.
    public static let lessonPorts = LessonPorts.all

    /// The line that stops every background program, as a student ends a lesson.
    public static let cleanup = "kill $(jobs -p)"

    public init(workingDirectory: String, binDirectory: String) {
        self.workingDirectory = workingDirectory
        self.binDirectory = binDirectory
    }

    public struct Outcome: Sendable {
        public var command: String
        public var status: Int32?
        public var expectedStatus: Int32
        public var stdout: String
        public var stderr: String
        public var skipped: String?
        public var background: Bool
        /// A background program still running when the run ended (nothing stopped it).
        public var leftRunning = false

        public var ok: Bool { skipped != nil || status == expectedStatus }
    }

    /// Free ports for the lesson ports and placeholders (one each, all different).
    public mutating func assignPorts() {
        var used = Set(substitutions.values)
        for name in Self.lessonPorts + ["{port}", "{port2}"] where substitutions[name] == nil {
            var port = String(Self.freePort())
            for _ in 0..<20 where used.contains(port) { port = String(Self.freePort()) }
            used.insert(port)
            substitutions[name] = port
        }
    }

    /// `8100=41234 8101=41235 …`: the port mapping, for programs that read a lesson themselves.
    public var portMapping: String {
        Self.lessonPorts.compactMap { port in substitutions[port].map { "\(port)=\($0)" } }.joined(separator: " ")
    }

    /// Sends the lessons' `~/netlab-work` paths to a new private directory (mkdtemp, mode 0700); call
    /// `removeScratchDirectory()` when done.
    public mutating func useScratchDirectory() throws {
        guard let made = PrivateDirectory.make(prefix: "netlab-lesson") else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: FileManager.default.temporaryDirectory])
        }
        scratchDirectory = made
    }

    public func removeScratchDirectory() {
        if let scratchDirectory { try? FileManager.default.removeItem(atPath: scratchDirectory) }
    }

    static func freePort() -> UInt16 {
        (try? Socket.listen(host: "127.0.0.1", port: 0).localPort) ?? 0
    }

    /// `8000` → a free port, as a whole word (not inside 18000 or 8000.5).
    public func substitute(_ line: String) -> String {
        var result = line
        if let scratchDirectory {
            result = result.replacingOccurrences(of: Self.workDirectory, with: scratchDirectory)
        }
        for (placeholder, value) in substitutions where placeholder.hasPrefix("{") {
            result = result.replacingOccurrences(of: placeholder, with: value)
        }
        for port in Self.lessonPorts {
            guard let value = substitutions[port] else { continue }
            result = result.replacingOccurrences(
                of: "(?<![0-9.])\(port)(?![0-9])", with: value, options: .regularExpression)
        }
        return result
    }

    /// Joins `\` continuations and drops comments and blank lines.
    public static func commands(_ lines: [String]) -> [String] {
        var commands: [String] = []
        var pending = ""
        for raw in lines {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || (line.hasPrefix("#") && pending.isEmpty) { continue }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            commands.append(pending + line)
            pending = ""
        }
        return commands
    }

    /// Runs one block's commands; background programs are stopped at the end.
    public func run(_ commands: [String]) -> [Outcome] {
        runLesson([commands])
    }

    /// Runs a lesson's blocks in order as one shell session: background programs live on from
    /// block to block until `kill $(jobs -p)`; any left at the end are stopped and marked.
    public func runLesson(_ blocks: [[String]]) -> [Outcome] {
        var outcomes: [Outcome] = []
        var background: [(Process, Outcome, OutputCollector)] = []
        for original in blocks.joined() {
            var command = substitute(original)
            var expected: Int32 = 0
            if let marker = command.range(of: #"#\s*exit\s+(\d+)\s*$"#, options: .regularExpression) {
                expected = Int32(command[marker].filter(\.isNumber)) ?? 0
                command = String(command[..<marker.lowerBound]).trimmingCharacters(in: .whitespaces)
            } else if let comment = command.range(of: " # ") {
                command = String(command[..<comment.lowerBound]).trimmingCharacters(in: .whitespaces)
            }
            if command == Self.cleanup {
                let stopped = Self.stop(background, signal: SIGTERM)
                background = []
                outcomes += stopped
                outcomes.append(
                    Outcome(
                        command: command, status: stopped.allSatisfy(\.ok) ? 0 : 1, expectedStatus: expected,
                        stdout: "", stderr: "", skipped: nil, background: false))
                continue
            }
            let isBackground = command.hasSuffix("&")
            if isBackground { command = String(command.dropLast()).trimmingCharacters(in: .whitespaces) }
            if command.hasPrefix("sudo ") {
                guard isRoot else {
                    outcomes.append(
                        Outcome(
                            command: command, status: nil, expectedStatus: expected, stdout: "", stderr: "",
                            skipped: "needs root (sudo)", background: isBackground))
                    continue
                }
                command = String(command.dropFirst(5))
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", isBackground ? "exec \(command)" : command]
            process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] = binDirectory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            environment["NO_COLOR"] = "1"
            if let scratchDirectory { environment["NETLAB_WORK"] = scratchDirectory }
            environment["NETLAB_LESSON_PORTS"] = portMapping
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            let collector = OutputCollector(process)
            do {
                try process.run()
            } catch {
                outcomes.append(
                    Outcome(
                        command: command, status: -1, expectedStatus: expected, stdout: "", stderr: "\(error)",
                        skipped: nil, background: isBackground))
                continue
            }
            let outcome = Outcome(
                command: command, status: nil, expectedStatus: expected, stdout: "", stderr: "", skipped: nil,
                background: isBackground)
            if isBackground {
                // Ready once it says anything (servers print their address, sniff "listening on").
                collector.waitForOutput(seconds: 5)
                background.append((process, outcome, collector))
                continue
            }
            let finished = collector.wait(seconds: timeout)
            var done = outcome
            if !finished {
                process.interrupt()
                collector.wait(seconds: 2)
                done.stderr = "timed out after \(Int(timeout)) s\n"
            }
            done.status = finished ? process.terminationStatus : -1
            done.stdout = collector.stdout
            done.stderr += collector.stderr
            outcomes.append(done)
        }
        // Marked only if still running: one that ended by itself (`udp recv -c 3`) was not left.
        let running = background.map { $0.0.isRunning }
        let left = Self.stop(background, signal: SIGINT)
        return outcomes
            + zip(left, running).map { outcome, wasRunning in
                var outcome = outcome
                outcome.leftRunning = wasRunning
                return outcome
            }
    }

    /// Stops background programs (Ctrl-C is SIGINT, `kill` SIGTERM); each must exit cleanly.
    static func stop(_ background: [(Process, Outcome, OutputCollector)], signal: Int32) -> [Outcome] {
        for (process, _, _) in background where process.isRunning { kill(process.processIdentifier, signal) }
        return background.map { process, outcome, collector in
            var done = outcome
            done.status = collector.wait(seconds: 10) ? process.terminationStatus : -1
            if process.isRunning {
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
                done.stderr = "did not stop on signal \(signal)\n"
            }
            done.stdout = collector.stdout
            done.stderr += collector.stderr
            return done
        }
    }

    /// Reads a child's stdout and stderr as they come.
    final class OutputCollector: Sendable {
        private let output = Mutex((out: Data(), err: Data()))
        private let exited = DispatchSemaphore(value: 0)

        init(_ process: Process) {
            let outPipe = Pipe(), errPipe = Pipe()
            process.standardOutput = outPipe
            process.standardError = errPipe
            outPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                if data.isEmpty {
                    handle.readabilityHandler = nil
                } else {
                    self?.output.withLock { $0.out.append(data) }
                }
            }
            errPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                if data.isEmpty {
                    handle.readabilityHandler = nil
                } else {
                    self?.output.withLock { $0.err.append(data) }
                }
            }
            process.terminationHandler = { [weak self] _ in self?.exited.signal() }
        }

        var stdout: String { output.withLock { String(decoding: $0.out, as: UTF8.self) } }
        var stderr: String { output.withLock { String(decoding: $0.err, as: UTF8.self) } }

        func waitForOutput(seconds: Double) {
            let deadline = Date() + seconds
            while Date() < deadline {
                if output.withLock({ !$0.out.isEmpty || !$0.err.isEmpty }) { return }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }

        @discardableResult
        func wait(seconds: Double) -> Bool {
            let done = exited.wait(timeout: .now() + seconds) == .success
            if done {
                exited.signal()  // later waits return at once
                Thread.sleep(forTimeInterval: 0.05)  // let the pipes drain
            }
            return done
        }
    }
}
