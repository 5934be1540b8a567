import Foundation
import XCTest

/// The CLI's contract for users: clear one-line errors with distinct exit codes, tcpdump's
/// output for files, -w writing a capture tcpdump can read, and the demo's replay fallback.
final class CommandLineTests: XCTestCase {
    func testErrorsHaveOneLineAndDistinctCodes() throws {
        let missing = try Harness.run(["sniff", "-r", "/nonexistent.pcap"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr, "netlab: cannot read '/nonexistent.pcap': no such file\n")

        let notCapture = try Harness.run(["sniff", "-r", Harness.root.appendingPathComponent("Package.swift").path])
        XCTAssertEqual(notCapture.status, 65)
        XCTAssertTrue(notCapture.stderr.hasPrefix("netlab: cannot read"), notCapture.stderr)

        let capture = Harness.root.appendingPathComponent("captures/http-get.pcap").path
        let badFilter = try Harness.run(["sniff", "-r", capture, "tcp", "port"])
        XCTAssertEqual(badFilter.status, 64)
        XCTAssertTrue(badFilter.stderr.hasPrefix("netlab: bad filter 'tcp port'"), badFilter.stderr)

        let noInterface = try Harness.run(["sniff", "-i", "netlab-nosuch0"])
        XCTAssertTrue([69, 77].contains(noInterface.status), "got \(noInterface.status): \(noInterface.stderr)")
        XCTAssertEqual(noInterface.stderr.split(separator: "\n").count, 1)

        let badCount = try Harness.run(["sniff", "-r", capture, "-c", "0"])
        XCTAssertEqual(badCount.status, 64)
    }

    /// A file cut in the middle of a record: the packets before the cut are printed (and, with
    /// --http, the messages they carry), as tcpdump prints them, then the error. Every cut point
    /// of a capture's second half is tried. (netlab printed nothing of them: its buffered lines
    /// were dropped when the read failed.)
    func testPacketsBeforeACutArePrinted() throws {
        let capture = Harness.root.appendingPathComponent("captures/http-get.pcap")
        let bytes = try Data(contentsOf: capture)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-cut-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var cuts = 0
        for cut in stride(from: bytes.count / 2, to: bytes.count, by: 37) {
            let path = directory.appendingPathComponent("\(cut).pcap")
            try bytes.prefix(cut).write(to: path)
            let netlab = try Harness.run(["sniff", "-r", path.path])
            let (status, out, _) = try Harness.runProcess(
                URL(fileURLWithPath: "/usr/bin/env"), ["TZ=UTC", "tcpdump", "-nn", "-r", path.path], timeout: 60)
            XCTAssertEqual(netlab.stdout, String(decoding: out, as: UTF8.self), "cut at \(cut)")
            XCTAssertFalse(netlab.stdout.isEmpty, "cut at \(cut)")
            if status != 0 {
                cuts += 1
                XCTAssertEqual(netlab.status, 65, "cut at \(cut): \(netlab.stderr)")
                XCTAssert(netlab.stderr.contains("truncated dump file"), netlab.stderr)
            }
        }
        XCTAssertGreaterThan(cuts, 5)
        let path = directory.appendingPathComponent("http.pcap")
        try bytes.prefix(bytes.count - 10).write(to: path)
        let http = try Harness.run(["sniff", "-r", path.path, "--http"])
        XCTAssertEqual(http.status, 65, http.stderr)
        XCTAssert(http.stdout.contains("GET /"), http.stdout)
    }

    /// `-r -` with `-c`: netlab ends after the count although its standard input stays open
    /// (a capture piped from another program). A reader thread waiting for the pipe's next
    /// packet once kept it running until the writer sent more or closed the pipe.
    func testCountEndsAReadFromAnOpenPipe() throws {
        let capture = try Data(contentsOf: Harness.root.appendingPathComponent("captures/http-get.pcap"))
        let process = Process()
        process.executableURL = try Harness.netlab
        process.arguments = ["sniff", "-r", "-", "-c", "3"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(capture.prefix(capture.count - 1))  // the pipe stays open
        let deadline = Date() + 20
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let ended = !process.isRunning
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        XCTAssertTrue(ended, "netlab was still reading the open pipe 20 s after 3 packets")
        let lines = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(lines.split(separator: "\n").count, 3, lines)
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testReadFilterCountAndWrite() throws {
        let capture = Harness.root.appendingPathComponent("captures/http-get.pcap").path
        let all = try Harness.run(["sniff", "-r", capture])
        XCTAssertEqual(all.status, 0)
        XCTAssertEqual(all.stdout.split(separator: "\n").count, 10)
        XCTAssertTrue(all.stderr.hasPrefix("reading from file"), all.stderr)

        let syns = try Harness.run(["sniff", "-r", capture, "tcp[tcpflags] & tcp-syn != 0"])
        XCTAssertEqual(syns.stdout.split(separator: "\n").count, 2)

        let two = try Harness.run(["sniff", "-r", capture, "-c", "2"])
        XCTAssertEqual(two.stdout.split(separator: "\n").count, 2)

        let output = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-cli-\(UUID()).pcap").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let written = try Harness.run(["sniff", "-r", capture, "-w", output, "tcp[tcpflags] & tcp-fin != 0"])
        XCTAssertEqual(written.status, 0)
        XCTAssertEqual(written.stdout, "", "with -w and no --print nothing is printed")
        XCTAssertTrue(written.stderr.contains("2 packets captured"), written.stderr)
        let reread = try Harness.run(["sniff", "-r", output])
        // Same packets (relative sequence numbers differ: the handshake is not in the new file).
        func heads(_ text: String) -> [String] {
            text.split(separator: "\n").map { String($0.prefix { $0 != "]" }) }.filter { $0.contains("Flags [F") }
        }
        XCTAssertEqual(heads(reread.stdout), heads(all.stdout))
        XCTAssertEqual(reread.stdout.split(separator: "\n").count, 2)
    }

    func testDemoReplaysWhenAskedOrNotPermitted() throws {
        let capture = Harness.root.appendingPathComponent("captures/http-get.pcap").path
        let result = try Harness.run(["demo", "--replay", capture])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Replaying the recorded exchange"))
        XCTAssertTrue(result.stdout.contains("the three-way handshake is complete"))
        XCTAssertTrue(result.stdout.contains("10 packets replayed."))
    }

    func testHelpHasExamples() throws {
        let help = try Harness.run(["sniff", "--help"])
        XCTAssertTrue(help.stdout.contains("Examples:"))
        XCTAssertTrue(help.stdout.contains("netlab sniff lo tcp port 8080"))
    }
}
