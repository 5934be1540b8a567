import Foundation
import ProcessControl
import XCTest

@testable import Sockets

/// The servers' blocking sends on loopback: a peer that resets is `.clientGone` (for send and
/// for sendfile, which cannot take MSG_NOSIGNAL), a peer that stops reading is `.stalled` after
/// the stall timeout, a stop request is `.abandoned`, and only the server's own trouble (a file
/// shorter than announced) is `.failed`. This is what lets a server close such a connection
/// quietly and count it, whatever the process does with SIGPIPE.
final class PatientSenderTests: XCTestCase {
    override func setUp() {
        // Without it a broken pipe would end the test process itself rather than fail a test.
        Signals.ignoreBrokenPipe()
    }

    /// A connected pair on 127.0.0.1: (the server's side, the client's side).
    func connectedPair() throws -> (Socket, Socket) {
        let listener = try Socket.listen(host: "127.0.0.1", port: 0)
        let client = try Socket.connect(host: "127.0.0.1", port: listener.localPort, timeout: 2)
        return (try listener.accept(), client)
    }

    /// A file of `size` bytes in a fresh temporary directory, open for reading; removed by the caller.
    func temporaryFile(size: Int) throws -> (URL, Int32) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-patient-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("body.bin")
        try Data(repeating: 0x5A, count: size).write(to: url)
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        return (directory, descriptor)
    }

    /// SO_LINGER 0, then close: the kernel answers with RST.
    func reset(_ socket: Socket) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(socket.descriptor, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        socket.close()
    }

    func testAResetPeerIsClientGoneForSendfileAndSend() throws {
        let (directory, file) = try temporaryFile(size: 16 << 20)
        defer {
            close(file)
            try? FileManager.default.removeItem(at: directory)
        }
        for call in ["sendfile", "send"] {
            let (server, client) = try connectedPair()
            let sender = PatientSender(socket: server, stallTimeout: 5)
            reset(client)
            Thread.sleep(forTimeInterval: 0.05)
            let started = Clock.now
            XCTAssertThrowsError(
                try {
                    if call == "sendfile" {
                        try sender.sendFile(file, offset: 0, length: 16 << 20, giveUp: { false })
                    } else {
                        try sender.sendAll([UInt8](repeating: 1, count: 16 << 20), giveUp: { false })
                    }
                }()
            ) { error in
                XCTAssertEqual(error as? SendFailure, .clientGone, call)
            }
            XCTAssertLessThan(Clock.now - started, 1, "\(call): the reset was noticed at once")
        }
    }

    func testAPeerThatStopsReadingStallsAndAStopAbandons() throws {
        let (directory, file) = try temporaryFile(size: 64 << 20)
        defer {
            close(file)
            try? FileManager.default.removeItem(at: directory)
        }
        let (server, client) = try connectedPair()
        defer { client.close() }
        // The client never reads: once the buffers fill, no byte moves for the stall timeout.
        let sender = PatientSender(socket: server, stallTimeout: 0.3)
        var started = Clock.now
        XCTAssertThrowsError(try sender.sendFile(file, offset: 0, length: 64 << 20, giveUp: { false })) {
            XCTAssertEqual($0 as? SendFailure, .stalled)
        }
        XCTAssertLessThan(Clock.now - started, 3)
        // A stop request ends a blocked send within about one slice.
        let patient = PatientSender(socket: server, stallTimeout: 60)
        started = Clock.now
        XCTAssertThrowsError(
            try patient.sendAll([UInt8](repeating: 2, count: 1 << 20), giveUp: { Clock.now - started > 0.2 })
        ) {
            XCTAssertEqual($0 as? SendFailure, .abandoned)
        }
        XCTAssertLessThan(Clock.now - started, 0.2 + 3 * PatientSender.slice)
    }

    func testAFileShorterThanAnnouncedIsTheServersFailure() throws {
        let (directory, file) = try temporaryFile(size: 1000)
        defer {
            close(file)
            try? FileManager.default.removeItem(at: directory)
        }
        let (server, client) = try connectedPair()
        defer { client.close() }
        let sender = PatientSender(socket: server, stallTimeout: 5)
        XCTAssertThrowsError(try sender.sendFile(file, offset: 0, length: 2000, giveUp: { false })) {
            guard case .failed(let error) = $0 as? SendFailure else { return XCTFail("\($0)") }
            XCTAssertEqual(error.code, EIO)
        }
        XCTAssertEqual(received(client, count: 1000), 1000, "the bytes the file had went out")
    }

    /// Reads what arrived on a socket, up to `count` bytes, for at most a second.
    func received(_ socket: Socket, count: Int) -> Int {
        var total = 0
        let deadline = Clock.now + 1
        while total < count, Clock.now < deadline,
            (try? socket.wait(for: .readable, timeout: deadline - Clock.now)) == true,
            let chunk = try? socket.receive(limit: count - total), !chunk.isEmpty
        {
            total += chunk.count
        }
        return total
    }
}
