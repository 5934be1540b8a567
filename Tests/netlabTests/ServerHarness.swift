import Foundation
import Inspect
import Sockets
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
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
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

/// A served directory with known contents, removed afterwards.
final class SiteDirectory {
    let url: URL
    var path: String { url.path }
    let bigFile: Data

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-site-\(UUID().uuidString)")
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

    deinit { try? FileManager.default.removeItem(at: url) }
}
