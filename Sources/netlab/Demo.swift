import ArgumentParser
import Capture
import Foundation
import Inspect
import Sockets

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Guided demo: capture a real HTTP exchange on loopback and explain every packet.",
        discussion: """
            netlab starts a tiny HTTP server on 127.0.0.1 (an ephemeral port), captures on lo,
            fetches a page with its own client, and prints each packet as tcpdump would, with one
            plain sentence under it: the three-way handshake, the request and response, and the
            teardown. Live capture needs root or CAP_NET_RAW; without it netlab says so and
            replays the bundled capture captures/http-get.pcap instead.

            Examples:
              sudo netlab demo
              sudo netlab demo -w my-first-capture.pcap   # keep the packets for Wireshark
              netlab demo --replay captures/http-get.pcap
            """
    )

    @Option(name: .customShort("w"), help: "Also save the captured packets to this pcap file.")
    var writeFile: String?

    @Option(help: "Replay this capture instead of capturing live.")
    var replay: String?

    @Flag(name: .customShort("v"), help: "Verbose packet lines (IP header fields, checksums).")
    var verbose = false

    func run() throws {
        let console = Console(flushEachRecord: true)
        console.line("netlab demo — what one HTTP request looks like on the wire\n")
        if let replay {
            try replayCapture(replay, reason: nil, console: console)
            return
        }
        let listener: Sockets.Socket
        do {
            listener = try Sockets.Socket.listen(host: "127.0.0.1", port: 0)
        } catch {
            Console.error("netlab: cannot start the demo server: \(error)")
            throw ExitCode(ExitCodes.unavailable)
        }
        let port = listener.localPort
        let handle: CaptureHandle
        do {
            handle = try CaptureHandle.live(interface: "lo")
            try handle.setFilter("tcp port \(port)")
        } catch {
            listener.close()
            try replayCapture(nil, reason: error.description, console: console)
            return
        }
        console.line("1. A server listens on 127.0.0.1:\(port) (socket, bind, listen; port 0 let the kernel pick).")
        console.line("2. netlab captures on lo with the filter 'tcp port \(port)'.")
        console.line("3. The client connects and sends GET / (socket, connect, send, recv).\n")

        let breaker = handle.breaker
        let done = DispatchSemaphore(value: 0)
        let outcome = ExchangeOutcome()
        Thread.detachNewThread {
            do { try DemoHTTP.serveOne(listener) } catch { outcome.fail("server: \(error)") }
            listener.close()
        }
        Thread.detachNewThread {
            do {
                outcome.setResponse(try DemoHTTP.fetch(host: "127.0.0.1", port: port))
            } catch {
                outcome.fail("client: \(error)")
            }
            // Let the last ACKs reach the capture, then stop it.
            Thread.sleep(forTimeInterval: 0.3)
            breaker.breakLoop()
            done.signal()
        }
        let packets = try show(handle, console: console)
        done.wait()
        if let failure = outcome.failure {
            Console.error("netlab: the exchange failed: \(failure)")
            throw ExitCode(ExitCodes.software)
        }
        let response = outcome.response
        let statusLine = response.split(separator: 13).first.map { String(decoding: $0, as: UTF8.self) } ?? "?"
        console.line("\nThe client received \(response.count) bytes (\(statusLine)) in \(packets) TCP segments.")
        closingNotes(console)
    }

    /// Prints each packet with its explanation; returns how many were shown.
    private func show(_ handle: CaptureHandle, console: Console) throws -> Int {
        let linkType = LinkType(rawValue: handle.linkType)
        let localTime = LocalTime()
        var printer = TcpdumpPrinter(verbosity: verbose ? 1 : 0, utcOffset: { localTime.offset(at: $0) })
        var narrator = HandshakeNarrator()
        var writer: CaptureWriter?
        do {
            writer = try writeFile.map { path throws(CaptureError) in try CaptureWriter(path: path, for: handle) }
        } catch {
            throw fail(error)
        }
        var count = 0
        do {
            _ = try handle.forEach { packet in
                count += 1
                writer?.write(packet)
                let bytes = ByteView(packet.bytes)
                printer.print(
                    bytes, wireLength: packet.wireLength, linkType: linkType, seconds: packet.seconds,
                    microseconds: packet.fraction, into: &console.buffer)
                if let segment = TCPSegment.parse(bytes, linkType: linkType) {
                    let sentence = narrator.narrate(segment)
                    if !sentence.isEmpty {
                        console.buffer.append("    └ ")
                        console.buffer.append(string: sentence)
                        console.buffer.append("\n")
                    }
                }
                console.recordDone()
                return !console.closed
            }
        } catch {
            throw fail(error)
        }
        writer?.flush()
        if let writeFile { console.line("\nSaved \(count) packets to \(writeFile).") }
        return count
    }

    private func replayCapture(_ path: String?, reason: String?, console: Console) throws {
        if let reason {
            console.line("Live capture is not possible here: \(reason)")
        }
        guard let file = path ?? Self.bundledCapture() else {
            Console.error("netlab: no capture to replay: captures/http-get.pcap was not found; pass --replay FILE")
            throw ExitCode(ExitCodes.noInput)
        }
        console.line("Replaying the recorded exchange in \(file) instead.\n")
        let handle: CaptureHandle
        do {
            handle = try CaptureHandle.file(file)
        } catch {
            throw fail(error)
        }
        let packets = try show(handle, console: console)
        console.line("\n\(packets) packets replayed.")
        closingNotes(console)
    }

    private func closingNotes(_ console: Console) {
        console.line(
            """

            What to notice:
              • Three packets open the connection (SYN, SYN-ACK, ACK) before any data moves.
              • Sequence numbers count bytes; after the handshake tcpdump (and netlab) print them
                relative to each side's ISN, so the request is bytes 1 to N.
              • Each side closes its own direction with a FIN; the side that closes first waits in TIME-WAIT.
            Next: sudo netlab sniff lo tcp port 8080   (watch your own programs)
            """)
        console.flush()
    }

    /// captures/http-get.pcap in the current directory or next to the source tree of this binary.
    static func bundledCapture() -> String? {
        var candidates = ["captures/http-get.pcap"]
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("captures/http-get.pcap").path)
            directory.deleteLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}

/// What the demo's client thread reports back to the main thread.
final class ExchangeOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var storedResponse: [UInt8] = []
    private var storedFailure: String?

    func setResponse(_ bytes: [UInt8]) { lock.withLock { storedResponse = bytes } }
    func fail(_ message: String) { lock.withLock { storedFailure = storedFailure ?? message } }
    var response: [UInt8] { lock.withLock { storedResponse } }
    var failure: String? { lock.withLock { storedFailure } }
}
