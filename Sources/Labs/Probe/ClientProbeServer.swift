import Foundation
import Sockets
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The server side of `probe client`: accepts the client's connections, records each request
/// head exactly as it arrived, and answers as the scenario says (pieces with pauses, then a
/// close or not). One thread; it looks at its stop flag every 50 ms.
final class RecordingServer: Sendable {
    struct Request: Sendable {
        var path: String
        var bytes: [UInt8]
        var response: [UInt8]
        var port: UInt16
    }

    let listener: Socket
    let scenario: ClientProbe.Scenario
    let body: [UInt8]
    private let requests = Mutex<[Request]>([])
    private let open = Mutex<[Socket]>([])
    private let stopping = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    static let headLimit = 64 * 1024

    init(listener: Socket, scenario: ClientProbe.Scenario, body: [UInt8]) {
        self.listener = listener
        self.scenario = scenario
        self.body = body
    }

    func start() { Thread.detachNewThread { self.loop() } }

    /// Stops the thread, closes what is still open, and returns the requests seen.
    func stop() -> [Request] {
        stopping.store(true, ordering: .releasing)
        let deadline = Clock.now + 3
        while !finished.load(ordering: .acquiring) && Clock.now < deadline { sleep(seconds: 0.01) }
        open.withLock { sockets in
            for socket in sockets { socket.close() }
            sockets.removeAll()
        }
        return requests.withLock { $0 }
    }

    private var stopped: Bool { stopping.load(ordering: .acquiring) }

    private func loop() {
        var clients: [(socket: Socket, pending: [UInt8])] = []
        while !stopped {
            if (try? listener.wait(for: .readable, timeout: 0.02)) == true, let client = try? listener.accept() {
                open.withLock { $0.append(client) }
                clients.append((client, []))
            }
            var index = 0
            while index < clients.count && !stopped {
                guard (try? clients[index].socket.wait(for: .readable, timeout: 0.01)) == true else {
                    index += 1
                    continue
                }
                let chunk = (try? clients[index].socket.receive()) ?? []
                if chunk.isEmpty {
                    clients.remove(at: index)
                    continue
                }
                clients[index].pending += chunk
                if let end = Self.headEnd(clients[index].pending) {
                    let head = Array(clients[index].pending[..<end])
                    clients[index].pending.removeSubrange(..<end)
                    if !answer(head, on: clients[index].socket) {
                        clients.remove(at: index)
                        continue
                    }
                } else if clients[index].pending.count > Self.headLimit {
                    clients.remove(at: index)
                    continue
                }
                index += 1
            }
        }
        finished.store(true, ordering: .releasing)
    }

    /// Records and answers one request head; false when the connection is done.
    private func answer(_ head: [UInt8], on socket: Socket) -> Bool {
        let line = head.prefix { $0 != 0x0A && $0 != 0x0D }
        let parts = line.split(separator: 0x20)
        let path = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : ""
        let (pieces, close) = scenario.respond(path, body)
        requests.withLock {
            $0.append(
                Request(path: path, bytes: head, response: pieces.flatMap { $0 }, port: socket.peerAddress?.port ?? 0))
        }
        for (index, piece) in pieces.enumerated() {
            if index > 0 { sleep(seconds: 0.3) }
            guard (try? socket.sendAll(piece)) != nil else { return false }
        }
        if close {
            _ = shutdown(socket.descriptor, Int32(SHUT_WR))
            return false
        }
        return true
    }

    /// The end of a request head (after CRLF CRLF, or LF LF from a client that sends bare LFs).
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == 0x0A {
                if bytes[index + 1] == 0x0A { return index + 2 }
                if bytes[index + 1] == 0x0D, index + 2 < bytes.count, bytes[index + 2] == 0x0A { return index + 3 }
            }
            index += 1
        }
        return nil
    }
}

/// Runs the student's client once, with a time limit, and keeps what it printed.
enum ClientRun {
    struct Outcome {
        var output: [UInt8]
        var status: Int32
        var timedOut: Bool
        var seconds: Double
        var launchError: String?
    }

    private final class Collected: Sendable {
        let data = Mutex<[UInt8]>([])
        let done = Atomic<Bool>(false)
    }

    static func run(_ arguments: [String], timeout: Double) -> Outcome {
        guard let program = arguments.first else {
            return Outcome(output: [], status: -1, timedOut: false, seconds: 0, launchError: "no command")
        }
        let process = Process()
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
        }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let collected = Collected()
        let started = Clock.now
        do {
            try process.run()
        } catch {
            return Outcome(output: [], status: -1, timedOut: false, seconds: 0, launchError: "\(error)")
        }
        let reader = out.fileHandleForReading
        Thread.detachNewThread {
            let data = reader.readDataToEndOfFile()
            collected.data.withLock { $0 = Array(data) }
            collected.done.store(true, ordering: .releasing)
        }
        var timedOut = false
        while process.isRunning {
            if Clock.now - started > timeout {
                timedOut = true
                process.terminate()
                let grace = Clock.now + 1
                while process.isRunning && Clock.now < grace { sleep(seconds: 0.01) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            sleep(seconds: 0.01)
        }
        process.waitUntilExit()
        let seconds = Clock.now - started
        let drain = Clock.now + 2
        while !collected.done.load(ordering: .acquiring) && Clock.now < drain { sleep(seconds: 0.01) }
        return Outcome(
            output: collected.data.withLock { $0 }, status: process.terminationStatus, timedOut: timedOut,
            seconds: seconds, launchError: nil)
    }
}
