import Foundation
import XCTest

/// A reader that goes away (`netlab sniff -r BIG | head`) ends the writer quietly with status 0,
/// as tcpdump does: no SIGPIPE death (status 141 in a shell), no error line.
final class ClosedReaderTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-reader-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A pcap of `count` Ethernet/IPv4/UDP frames: far more output than a pipe holds (64 KiB).
    private func udpCapture(count: Int) throws -> String {
        var file: [UInt8] = []
        func le32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { file.append(contentsOf: $0) } }
        func le16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { file.append(contentsOf: $0) } }
        le32(0xa1b2_c3d4)
        le16(2)
        le16(4)
        le32(0)
        le32(0)
        le32(65535)
        le32(1)  // LINKTYPE_ETHERNET
        for index in 0..<count {
            let payload = [UInt8](repeating: 0x61, count: 32)
            var frame: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]
            let total = UInt16(20 + 8 + payload.count)
            frame += [
                0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0,
                1,
            ]
            let udpLength = UInt16(8 + payload.count)
            frame += [0x30, 0x39, 0x1F, 0x90, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0] + payload
            le32(UInt32(1_700_000_000 + index / 1000))
            le32(UInt32(index % 1000) * 1000)
            le32(UInt32(frame.count))
            le32(UInt32(frame.count))
            file += frame
        }
        let path = directory.appendingPathComponent("udp.pcap").path
        try Data(file).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Starts netlab, reads `keep` bytes of its standard output, closes the pipe, and waits.
    private func runAndCloseEarly(_ arguments: [String], keep: Int = 100) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = try Harness.netlab
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let first = out.fileHandleForReading.readData(ofLength: keep)
        XCTAssertEqual(first.count, keep, "netlab \(arguments) printed too little to test a closed reader")
        try out.fileHandleForReading.close()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, "netlab \(arguments) was killed by a signal")
        return (process.terminationStatus, String(decoding: errors, as: UTF8.self))
    }

    func testPrintingCommandsEndQuietlyWhenTheReaderCloses() throws {
        let capture = try udpCapture(count: 20_000)
        for arguments in [
            ["sniff", "-r", capture], ["sniff", "-r", capture, "-v"], ["sniff", "-r", capture, "--json"],
        ] {
            let (status, stderr) = try runAndCloseEarly(arguments)
            XCTAssertEqual(status, 0, "netlab \(arguments): \(stderr)")
            XCTAssertFalse(stderr.contains("netlab:"), "no error line for a reader that left: \(stderr)")
        }
    }
}
