import Foundation
import Inspect
import Sockets
import TestSupport
import XCTest

/// A `netlab server …` child process on an ephemeral loopback port, stopped with SIGINT.
final class ServerProcess {
    let process = Process()
    let output = LineCollector()
    let errors = LineCollector()
    /// The first line the server printed on stdout (its URL, or its address).
    private(set) var firstLine = ""

    init(_ arguments: [String]) throws {
        process.executableURL = try Harness.netlab
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "UTC"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        output.attach(out)
        errors.attach(err)
        try process.run()
        guard output.wait(until: Date() + 10, { !$0.isEmpty }) else {
            stop()
            throw HarnessError(
                "netlab \(arguments.joined(separator: " ")) printed nothing: \(errors.snapshot.map(\.1))")
        }
        firstLine = output.snapshot[0].1
    }

    /// The port at the end of the first line (`http://127.0.0.1:PORT/` or `127.0.0.1:PORT`).
    var port: UInt16 {
        let trimmed = firstLine.hasSuffix("/") ? String(firstLine.dropLast()) : firstLine
        return UInt16(trimmed.split(separator: ":").last ?? "") ?? 0
    }

    var url: String { firstLine }

    /// SIGINT, then wait (up to 10 s) for the exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.interrupt() }
        let deadline = Date() + 10
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        // The summary is the last thing written: read it before anyone looks.
        output.waitForEnd()
        errors.waitForEnd()
        return process.terminationStatus
    }

    /// Sends `signal` (SIGINT or SIGTERM) and measures how long the server takes to exit (up to
    /// 10 s; then it is killed). Returns the exit status and the seconds.
    func stop(with signal: Int32) -> (status: Int32, seconds: Double) {
        let started = Clock.now
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = started + 10
        while process.isRunning && Clock.now < deadline { Thread.sleep(forTimeInterval: 0.002) }
        let seconds = Clock.now - started
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        output.waitForEnd()
        errors.waitForEnd()
        return (process.terminationStatus, seconds)
    }

    var pid: Int32 { process.processIdentifier }

    /// The server's open descriptors (/proc/PID/fd).
    var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// The server's children that are zombies (state Z in /proc/N/stat, parent the server).
    var zombieChildren: Set<Int32> { ProcessTable.children(of: pid, inState: "Z") }

    /// Client connections the server has accepted and still holds open: TCP sockets on its port
    /// other than listeners, among the descriptors of the server and of its children (the fork
    /// model's, one connection each). A connection still waiting in the kernel's listen queue
    /// has no descriptor yet and is not counted, so this is what the server's own count sees.
    var heldConnections: Int {
        let open = Set(([pid] + Array(ProcessTable.children(of: pid))).flatMap(ProcessTable.socketInodes(of:)))
        return ProcessTable.tcpConnectionInodes(port: port).filter(open.contains).count
    }

    /// The last line on stderr that starts with `stopped:` (the summary), waiting briefly for it.
    var summaryLine: String? {
        _ = errors.wait(until: Date() + 2) { $0.contains { $0.1.hasPrefix("stopped:") } }
        return errors.snapshot.last { $0.1.hasPrefix("stopped:") }?.1
    }

    deinit { if process.isRunning { process.terminate() } }
}

/// /proc, read the way ps(1) does.
enum ProcessTable {
    /// Processes whose parent is `parent` and whose state letter is `state` (any state: nil).
    static func children(of parent: Int32, inState state: Character? = nil) -> Set<Int32> {
        var found = Set<Int32>()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (comm) ": state, ppid, ... (comm may hold spaces and parentheses).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, state == nil || fields[0].first == state, Int32(fields[1]) == parent {
                found.insert(pid)
            }
        }
        return found
    }

    /// The socket inodes among `pid`'s open descriptors (links `socket:[INODE]` in /proc/PID/fd).
    static func socketInodes(of pid: Int32) -> [String] {
        let directory = "/proc/\(pid)/fd"
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap { entry in
            guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + entry),
                link.hasPrefix("socket:[")
            else { return nil }
            return String(link.dropFirst(8).dropLast())
        }
    }

    /// A /proc file read to its end. (Its size reads as 0, and String(contentsOfFile:) returned
    /// only the first 4 KiB of /proc/net/tcp, missing the connections listed after that.)
    static func readWhole(_ path: String) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return bytes }
            bytes += buffer[..<count]
        }
    }

    /// Inodes of the TCP sockets whose local port is `port` and that are not listening (state 0A),
    /// from /proc/net/tcp and tcp6. A connection not yet accepted shows inode 0 there.
    static func tcpConnectionInodes(port: UInt16) -> [String] {
        let local = String(format: ":%04X", port)
        var inodes: [String] = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let text = String(decoding: readWhole(table), as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                // sl, local address, remote address, state, queues, timer, retransmits, uid, timeout, inode
                let fields = line.split(separator: " ")
                if fields.count > 9, fields[1].hasSuffix(local), fields[3] != "0A", fields[9] != "0" {
                    inodes.append(String(fields[9]))
                }
            }
        }
        return inodes
    }
}

/// A number from the summary line: the integer before `label` (`12 ended by the client`), or 0.
func count(in line: String, before label: String) -> Int {
    guard let range = line.range(of: " " + label) else { return 0 }
    return Int(line[..<range.lowerBound].split(whereSeparator: { !$0.isNumber }).last ?? "") ?? 0
}

/// Raw client helpers: exact bytes in, everything the server sends until it closes (or a
/// time limit) out. Curl tidies requests up; hostile ones need raw sockets.
enum RawClient {
    /// Sends `request` and reads until the server has sent `responses` complete responses (as
    /// Inspect's HTTP parser sees them), closes, or `seconds` pass.
    static func exchange(
        port: UInt16, host: String = "127.0.0.1", _ request: [UInt8], responses: Int = 1, readFor seconds: Double = 5
    ) throws -> String {
        let socket = try Socket.connect(host: host, port: port, timeout: 2)
        defer { socket.close() }
        try socket.sendAll(request)
        var methods: [String] = []
        for line in String(decoding: request, as: UTF8.self).components(separatedBy: "\r\n") {
            if let method = line.split(separator: " ").first, ["GET", "HEAD", "PUT", "POST"].contains(method) {
                methods.append(String(method))
            }
        }
        return try readAll(socket, seconds: seconds, responses: responses, methods: methods)
    }

    static func exchange(port: UInt16, _ request: String, responses: Int = 1, readFor seconds: Double = 5) throws
        -> String
    {
        try exchange(port: port, Array(request.utf8), responses: responses, readFor: seconds)
    }

    /// Reads until end of stream, `responses` complete responses (when given), or `seconds` pass.
    static func readAll(_ socket: Socket, seconds: Double, responses: Int? = nil, methods: [String] = []) throws
        -> String
    {
        var received: [UInt8] = []
        var parser = HTTPParser(kind: .response, lenient: true)
        for method in methods { parser.expectResponse(to: method) }
        var complete = 0
        let deadline = Clock.now + seconds
        while Clock.now < deadline {
            guard try socket.wait(for: .readable, timeout: deadline - Clock.now) else { break }
            // A reset after the response (the server closed with bytes unread) ends the stream too.
            guard let chunk = try? socket.receive(), !chunk.isEmpty else { break }
            received += chunk
            for event in parser.parse(chunk) {
                if case .end = event, parser.isInsideMessage == false { complete += 1 }
            }
            if let responses, complete >= responses { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// The status code of the first response in `text`, or 0.
    static func status(_ text: String) -> Int {
        statuses(text).first ?? 0
    }

    /// Every status line's code, in order.
    static func statuses(_ text: String) -> [Int] {
        text.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { Int($0.prefix(3)) }
    }
}

/// curl, installed by scripts/setup.sh; tests that need it skip with the reason otherwise.
enum Curl {
    static var path: String {
        get throws {
            for candidate in ["/usr/bin/curl", "/usr/local/bin/curl"]
            where FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
            throw XCTSkip("SKIPPED: curl is not installed (scripts/setup.sh installs it)")
        }
    }

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    static func run(_ arguments: [String], timeout: TimeInterval = 20) throws -> Result {
        let (status, out, err) = try Harness.runProcess(
            URL(fileURLWithPath: try path), ["--silent", "--show-error", "--max-time", "10"] + arguments,
            timeout: timeout)
        return Result(status: status, stdout: out, stderr: String(decoding: err, as: UTF8.self))
    }
}

/// A served directory with known contents, inside a fresh temporary directory of its own (with
/// the secret beside the root that traversal attempts aim at), all removed afterwards: no fixed
/// path in the shared temporary directory, so root and plain-user runs never meet.
final class SiteDirectory {
    /// The per-test directory: `site/` (the root) and `netlab-secret.txt` beside it.
    let base: URL
    let url: URL
    var path: String { url.path }
    let bigFile: Data

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-test-\(UUID().uuidString)")
        url = base.appendingPathComponent("site")
        let manager = FileManager.default
        try manager.createDirectory(at: url.appendingPathComponent("docs"), withIntermediateDirectories: true)
        try manager.createDirectory(at: url.appendingPathComponent("empty"), withIntermediateDirectories: true)
        try Data("<h1>netlab test site</h1>\n".utf8).write(to: url.appendingPathComponent("index.html"))
        try Data("hello, world\n".utf8).write(to: url.appendingPathComponent("hello.txt"))
        try Data("<p>docs</p>\n".utf8).write(to: url.appendingPathComponent("docs/index.html"))
        try Data("a < b & \"c\"\n".utf8).write(to: url.appendingPathComponent("empty/<weird> name.txt"))
        var generator = SystemRandomNumberGenerator()
        bigFile = Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try bigFile.write(to: url.appendingPathComponent("big.bin"))
        // A secret beside the root, and links that try to reach it.
        try Data("secret\n".utf8).write(to: url.deletingLastPathComponent().appendingPathComponent("netlab-secret.txt"))
        try manager.createSymbolicLink(
            atPath: url.appendingPathComponent("escape").path, withDestinationPath: "/etc/passwd")
        try manager.createSymbolicLink(
            atPath: url.appendingPathComponent("up").path, withDestinationPath: "..")
        try manager.createSymbolicLink(
            atPath: url.appendingPathComponent("inside.txt").path, withDestinationPath: "hello.txt")
    }

    /// Writes `size` bytes from a seeded generator under the root (large downloads for the
    /// hostile-client tests: far more than socket buffers hold). Returns the path below the root.
    @discardableResult
    func addFile(_ name: String, size: Int, seed: UInt64 = 1) throws -> String {
        var generator = SeededGenerator(state: seed)
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                var word = generator.next()
                let n = min(8, raw.count - offset)
                withUnsafeBytes(of: &word) {
                    raw.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: n)
                }
                offset += n
            }
        }
        try Data(bytes).write(to: url.appendingPathComponent(name))
        return "/" + name
    }

    deinit { try? FileManager.default.removeItem(at: base) }
}
