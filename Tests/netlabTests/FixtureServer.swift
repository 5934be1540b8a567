import Foundation
import XCTest

/// A Python fixture server from Tests/ProbeFixtures (standard library only) on an ephemeral
/// loopback port: started with its arguments, ready when it prints `READY <port>`.
final class FixtureServer {
    let process = Process()
    let output = LineCollector()
    let errors = LineCollector()
    private(set) var port: UInt16 = 0

    init(_ script: String, _ arguments: [String]) throws {
        guard let python = ProbeTests.python else { throw XCTSkip("SKIPPED: no python3 for the fixture servers") }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Harness.root.appendingPathComponent("Tests/ProbeFixtures/\(script)").path] + arguments
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        output.attach(out)
        errors.attach(err)
        try process.run()
        guard output.wait(until: Date() + 20, { $0.contains { $0.1.hasPrefix("READY ") } }),
            let line = output.snapshot.first(where: { $0.1.hasPrefix("READY ") })?.1,
            let port = UInt16(line.dropFirst(6))
        else {
            stop()
            throw HarnessError("\(script) \(arguments) did not start: \(errors.snapshot.map(\.1))")
        }
        self.port = port
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
