import Capture
import Foundation
import ProcessControl
import Inspect
import Sockets

/// The guided first minute: a real HTTP exchange on loopback — netlab's own server (events
/// model) and client — captured on lo and explained in three acts: the handshake, the HTTP
/// messages, the teardown; then a ladder diagram and where to go next. Without capture rights
/// it says why and tells the same story from a recorded capture.
public struct Tour {
    /// Save the live capture here.
    public var saveTo: String?
    public var verbose = false

    public init() {}

    public enum Failure: Error, CustomStringConvertible {
        case exchange(String)
        case capture(CaptureError)
        public var description: String {
            switch self {
            case .exchange(let why): "the exchange failed: \(why)"
            case .capture(let error): error.description
            }
        }
    }

    /// Runs the exchange live. Throws `.capture` when capturing is not allowed here.
    public func runLive(say: (String) -> Void) throws(Failure) -> Int {
        guard let made = PrivateDirectory.make(prefix: "netlab-tour") else {
            throw .exchange("cannot make a temporary directory in \(FileManager.default.temporaryDirectory.path)")
        }
        let site = URL(fileURLWithPath: made)
        defer { try? FileManager.default.removeItem(at: site) }
        let page = "<!doctype html><title>netlab tour</title><h1>Hello from netlab</h1>\n"
        try? Data(page.utf8).write(to: site.appendingPathComponent("index.html"))
        let server: HTTPServer
        do {
            server = try HTTPServer(
                root: site.path, host: "127.0.0.1", port: 0, model: .events, limits: ServerLimits(),
                log: AccessLog(enabled: false))
        } catch {
            throw .exchange("cannot start the server: \(error)")
        }
        let port = server.address.port
        let capture: BackgroundCapture
        do {
            capture = try BackgroundCapture.start(filter: "tcp port \(port)")
        } catch {
            throw .capture(error)
        }
        let stop = StopFlag()
        let serverDone = DispatchSemaphore(value: 0)
        let box = ServerBox(server)
        Thread.detachNewThread {
            _ = try? box.server.run { stop.isSet }
            serverDone.signal()
        }
        say("1. A server listens on \(server.url) — socket(), bind() to 127.0.0.1 port \(port) (the kernel")
        say("   picked a free one), listen(). netlab captures on lo: 'tcp port \(port)'.")
        say("2. The client: socket(), connect(), send() a GET request, recv() the response, close().\n")
        var client = HTTPClient()
        client.timeout = 5
        let fetched: HTTPClient.Response
        do {
            fetched = try client.fetch(HTTPURL.parse(server.url))
        } catch {
            stop.set()
            _ = capture.stop(settle: 0)
            throw .exchange("\(error)")
        }
        let frames = capture.stop(settle: 0.3)
        stop.set()
        serverDone.wait()
        if let saveTo {
            do {
                try capture.save(frames, to: saveTo)
            } catch {
                say("(could not save the capture: \(error))")
            }
        }
        say(
            "The client got \"HTTP/1.1 \(fetched.head.status ?? 0) \(fetched.head.reason ?? "")\" and \(fetched.body.count) "
                + "bytes of HTML. Here is everything that crossed lo, packet by packet:\n")
        narrate(frames, linkType: capture.linkType, say: say)
        if let saveTo {
            say("\nSaved the \(frames.count) packets to \(saveTo) (open it in Wireshark, or netlab sniff -r).")
        }
        return frames.count
    }

    /// Tells the story from a capture file.
    public func replay(_ path: String, say: (String) -> Void) throws(CaptureError) -> Int {
        let handle = try CaptureHandle.file(path)
        var frames: [BackgroundCapture.Frame] = []
        _ = try handle.forEach { packet in
            frames.append(
                BackgroundCapture.Frame(
                    time: Double(packet.seconds) + Double(packet.fraction) / 1e6, seconds: packet.seconds,
                    microseconds: packet.fraction, wireLength: packet.wireLength, bytes: Array(packet.bytes)))
            return true
        }
        narrate(frames, linkType: LinkType(rawValue: handle.linkType), say: say)
        return frames.count
    }

    /// The three acts, then the ladder.
    func narrate(_ frames: [BackgroundCapture.Frame], linkType: LinkType, say: (String) -> Void) {
        var printer = TcpdumpPrinter(verbosity: verbose ? 1 : 0)
        var narrator = HandshakeNarrator()
        var analyzer = CaptureAnalyzer()
        var ladder: LadderDiagram?
        var act = 0
        for (index, frame) in frames.enumerated() {
            var line = TextBuffer()
            var result = CaptureAnalyzer.FrameResult()
            frame.bytes.withUnsafeBytes { raw in
                let bytes = ByteView(raw)
                printer.print(
                    bytes, wireLength: frame.wireLength, linkType: linkType, seconds: frame.seconds,
                    microseconds: frame.microseconds, into: &line)
                result = analyzer.add(
                    bytes, linkType: linkType, wireLength: frame.wireLength, seconds: frame.seconds,
                    microseconds: frame.microseconds)
            }
            if let segment = result.segment {
                // Acts only move forward: the handshake until data flows, the exchange until a FIN.
                let next = segment.isFIN || segment.isRST ? 3 : segment.payloadLength > 0 ? 2 : max(act, 1)
                if next > act {
                    act = next
                    say(
                        [
                            "", "── Act 1: the three-way handshake (三次握手) ──",
                            "── Act 2: the HTTP request and response ──",
                            "── Act 3: the teardown (四次挥手) ──",
                        ][act])
                }
            }
            say(String(line.string.dropLast()))
            if let segment = result.segment, let observation = result.observation {
                let sentence = narrator.narrate(segment)
                if !sentence.isEmpty { say("    └ " + sentence) }
                if !observation.stateChanges.isEmpty {
                    say(
                        "      states: "
                            + observation.stateChanges.map {
                                "\($0.role.rawValue) \($0.from.rawValue) → \($0.to.rawValue)"
                            }
                            .joined(separator: ", "))
                }
                if observation.stream == 0 {
                    if ladder == nil { ladder = LadderDiagram(connection: analyzer.tracker.connection(0)) }
                    ladder?.add(segment, observation: observation, frame: index + 1, time: frame.time)
                }
            }
            for message in result.httpMessages { say("    HTTP: " + Self.messageLine(message, analyzer)) }
        }
        for message in analyzer.finish() { say("    HTTP: " + Self.messageLine(message, analyzer)) }
        if let ladder {
            say("\nThe same connection as a ladder (time runs down; each side's state beside it):\n")
            var out = TextBuffer()
            ladder.renderText(into: &out)
            for line in out.string.split(separator: "\n", omittingEmptySubsequences: false) { say(String(line)) }
        }
        say(
            """

            What to notice:
              • Three packets open the connection before any data moves; each SYN uses up one sequence number.
              • Sequence numbers count bytes: after the handshake they are printed relative to each ISN.
              • Each side closes its own direction with a FIN; the side that closes first waits in TIME-WAIT.
            Where next:
              netlab lesson list                      the lessons (sockets, HTTP, UDP, handshake, framing, loss)
              netlab lesson show 8                    the handshake and teardown in depth
              sudo netlab sniff lo tcp port 8000      watch your own programs
            """)
    }

    static func messageLine(_ message: HTTPConversation.Message, _ analyzer: CaptureAnalyzer) -> String {
        var out = TextBuffer()
        let connection = analyzer.tracker.connection(message.stream)
        HTTPMessageLine.render(message, client: connection.client, server: connection.server, into: &out)
        return String(out.string.dropLast())
    }

    final class ServerBox: @unchecked Sendable {
        let server: HTTPServer
        init(_ server: HTTPServer) { self.server = server }
    }
}
