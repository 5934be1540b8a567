import Capture
import Foundation
import XCTest

/// Paths and process helpers shared by the end-to-end tests.
enum Harness {
    /// The repository root (this file is Tests/netlabTests/Harness.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// ../shared/corpus beside the repository, as CI lays it out.
    static let corpus = root.deletingLastPathComponent().appendingPathComponent("shared/corpus")

    /// The netlab executable `swift test` built beside the test bundle.
    static var netlab: URL {
        get throws {
            var directory = Bundle.main.bundleURL
            for _ in 0..<3 {
                let candidate = directory.appendingPathComponent("netlab")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                directory.deleteLastPathComponent()
            }
            for build in ["debug", "release"] {
                let candidate = root.appendingPathComponent(".build/\(build)/netlab")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw XCTSkip("netlab binary not found next to \(Bundle.main.bundleURL.path); run `swift build` first")
        }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs netlab with arguments, in UTC so timestamps match the references, with a time limit.
    @discardableResult
    static func run(_ arguments: [String], timeout: TimeInterval = 60, environment: [String: String] = [:])
        throws -> Result
    {
        var env = ProcessInfo.processInfo.environment
        env["TZ"] = "UTC"
        for (key, value) in environment { env[key] = value }
        let (status, out, err) = try runProcess(try netlab, arguments, environment: env, timeout: timeout)
        return Result(
            status: status, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// Runs any program, reading its output concurrently (a large output cannot block it).
    static func runProcess(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, timeout: TimeInterval
    ) throws -> (Int32, Data, Data) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            throw HarnessError(
                "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish in \(Int(timeout)) s"
            )
        }
        process.waitUntilExit()
        return (process.terminationStatus, outData, errData)
    }

    /// Skips (with the reason) where live capture on lo is not allowed: no root or CAP_NET_RAW.
    static func requireLiveCapture() throws {
        do {
            _ = try CaptureHandle.live(interface: "lo")
        } catch .permissionDenied(_, let message) {
            throw XCTSkip("SKIPPED: live capture on lo needs root or CAP_NET_RAW (\(message)); CI runs as root")
        } catch {
            throw XCTSkip("SKIPPED: cannot capture on lo here: \(error)")
        }
    }

    /// Polls `condition` every 20 ms until it holds or `seconds` pass; true when it held. For
    /// waiting on another process's state (descriptors, children, files) instead of sleeping a
    /// fixed time that a loaded machine may not honour. The caller asserts on the state after.
    static func eventually(within seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date() + seconds
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return try condition()
    }

    static func requireCorpus() throws -> URL {
        guard FileManager.default.fileExists(atPath: corpus.path) else {
            throw XCTSkip("SKIPPED: the shared corpus is not at \(corpus.path)")
        }
        return corpus
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Collects a child's output as it arrives, with the time each line was seen.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = Data()
    private var lines: [(Date, String)] = []
    private var ended = false

    func attach(_ pipe: Pipe) {
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else {
                handle.readabilityHandler = nil
                self?.lock.withLock { self?.ended = true }
                return
            }
            self.lock.withLock {
                self.pending.append(data)
                while let newline = self.pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: self.pending[self.pending.startIndex..<newline], as: UTF8.self)
                    self.lines.append((Date(), line))
                    self.pending.removeSubrange(self.pending.startIndex...newline)
                }
            }
        }
    }

    var snapshot: [(Date, String)] { lock.withLock { lines } }

    /// Waits (up to `seconds`) until the writer's end closed and every line was read: after a
    /// child exits its last lines may still be in the pipe.
    func waitForEnd(seconds: Double = 2) {
        let deadline = Date() + seconds
        while !lock.withLock({ ended }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
    }

    /// Waits until `condition` holds for the lines seen so far, or the deadline passes.
    func wait(until deadline: Date, _ condition: ([(Date, String)]) -> Bool) -> Bool {
        while Date() < deadline {
            if condition(snapshot) { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition(snapshot)
    }
}
