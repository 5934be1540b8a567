import Capture
import Foundation
import Inspect
import Sockets
import Synchronization

/// "Sticky packets" (粘包): TCP delivers a byte stream, not messages. The sender makes many
/// small send() calls; with TCP_NODELAY each leaves as its own segment, but the receiver,
/// reading a moment later, gets them merged (and, with a small buffer, split). The demo prints
/// the wire-vs-socket timeline side by side, then repeats the run with a framing so every
/// message comes out whole.
public struct StickDemo {
    public var messages = 12
    /// How long the receiver waits before its first recv() (bytes pile up in its buffer).
    public var receiverDelay = 0.05
    /// recv() buffer size: smaller than a message shows splits, larger shows merges.
    public var receiveBuffer = 64
    public var framing: Framing = .none
    /// Capture to show the segments (needs root): on the path's server side, or on lo.
    public var capture = true
    /// Run between the two sides of a `netlab path` (MTU 1500, segments as on a real link)
    /// instead of loopback; nil: when root.
    public var usePath: Bool?
    /// A pause between send() calls. Without it Linux may still merge segments on the wire
    /// (autocorking: small writes wait while an earlier packet is in the queue).
    public var sendGap = 0.0005
    /// Leave Nagle's algorithm on and send without pauses (what a program gets by default): the
    /// sender merges small writes into one segment too, so boundaries vanish before the wire.
    public var nagle = false

    public init() {}

    public enum Column: Int, Sendable { case send, wire, recv }

    public struct Event: Sendable {
        public var time: Double
        public var column: Column
        public var text: String
    }

    public struct Outcome: Sendable {
        public var events: [Event] = []
        public var sendCalls = 0
        public var segments: Int?
        public var recvCalls = 0
        /// What the application got: recv() pieces without framing, messages with it.
        public var delivered: [[UInt8]] = []
        public var sentMessages: [[UInt8]] = []
        public var captureNote: String?
        /// Where it ran: "netlab path (…)" or "loopback".
        public var place = "loopback"
        public var framingError: String?
    }

    /// The i-th message: short text of varying length.
    static func message(_ index: Int) -> [UInt8] {
        let words = ["hi", "hello", "how are you", "fine, thanks", "see you"]
        return Array("msg-\(index < 10 ? "0" : "")\(index): \(words[index % words.count])".utf8)
    }

    public func run() throws(SocketError) -> Outcome {
        var outcome = Outcome()
        // The path when asked for, or by default when root and it can be made.
        var path: NetworkPath?
        if usePath ?? (geteuid() == 0) {
            do {
                path = try NetworkPath(shape: LinkShape())
            } catch {
                if usePath == true { throw error }
            }
        }
        defer { path?.remove() }
        let host = path == nil ? "127.0.0.1" : NetworkPath.Side.server.address
        if path != nil {
            outcome.place = "a netlab path (client \(NetworkPath.Side.client.address) → server \(host), MTU 1500)"
        }
        let listener = try NetworkPath.inside(path, .server) { () throws(SocketError) in
            try Socket.listen(host: host, port: 0)
        }
        let port = listener.localPort
        var background: BackgroundCapture?
        if capture {
            // Opened inside the server side when on the path: the capture socket stays there.
            var failure: CaptureError?
            let open = {
                do throws(CaptureError) {
                    background = try BackgroundCapture.start(
                        interface: path == nil ? "lo" : NetworkPath.interfaceName, filter: "tcp port \(port)")
                } catch {
                    failure = error
                }
            }
            try NetworkPath.inside(path, .server) { () throws(SocketError) in open() }
            if let failure { outcome.captureNote = "no capture: \(failure) (run as root to see the segments)" }
        }
        let receiverLog = EventLog()
        let messages = (0..<self.messages).map(Self.message)
        outcome.sentMessages = messages
        let receiveBuffer = self.receiveBuffer, receiverDelay = self.receiverDelay, framing = self.framing
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { done.signal() }
            guard let connection = try? listener.accept() else { return }
            connection.setTimeout(seconds: 5)
            Thread.sleep(forTimeInterval: receiverDelay)
            var deframer = Deframer(framing)
            var buffer = [UInt8](repeating: 0, count: receiveBuffer)
            while true {
                guard let count = try? connection.receive(into: &buffer), count > 0 else { break }
                let piece = Array(buffer[..<count])
                receiverLog.add(
                    Event(
                        time: Clock.wall, column: .recv,
                        text: "recv() → \(count) B \(PayloadText.quote(piece, limit: 40, placeholder: "·"))"))
                do throws(Deframer.Failure) {
                    for message in try deframer.add(piece) { receiverLog.deliver(message) }
                } catch {
                    receiverLog.fail(error.description)
                    break
                }
            }
        }
        let sender = try NetworkPath.inside(path, .client) { () throws(SocketError) in
            try Socket.connect(host: host, port: port, timeout: 2)
        }
        // TCP_NODELAY and a pause: each send() leaves at once, as its own segment. With Nagle (the
        // default) a small write waits while earlier data is unacknowledged, and merges.
        if !nagle { sender.setNoDelay() }
        var sendEvents: [Event] = []
        for message in messages {
            let bytes = framing.encode(message)
            if sendGap > 0 && !nagle { Thread.sleep(forTimeInterval: sendGap) }
            let time = Clock.wall
            try sender.sendAll(bytes)
            sendEvents.append(
                Event(
                    time: time, column: .send,
                    text: "send(\(bytes.count) B) \(PayloadText.quote(message, limit: 40, placeholder: "·"))"))
        }
        sender.shutdown(.write)
        _ = done.wait(timeout: .now() + 5)
        sender.close()
        outcome.sendCalls = sendEvents.count
        outcome.events = sendEvents + receiverLog.events
        outcome.recvCalls = receiverLog.events.count
        outcome.delivered = receiverLog.delivered
        outcome.framingError = receiverLog.failure
        if let background {
            var isn: UInt32?
            var segments = 0
            for frame in background.stop(settle: 0.1) {
                let segment = frame.bytes.withUnsafeBytes {
                    TCPSegment.parse(ByteView($0), linkType: background.linkType)
                }
                guard let segment, segment.destinationPort == port else { continue }
                if segment.isSYN { isn = segment.sequence }
                guard segment.payloadLength > 0 else { continue }
                segments += 1
                let start = segment.sequence &- (isn ?? segment.sequence)
                outcome.events.append(
                    Event(
                        time: frame.time, column: .wire,
                        text: "[P.] seq \(start):\(start &+ UInt32(segment.payloadLength)) len \(segment.payloadLength)"
                    ))
            }
            outcome.segments = segments
        }
        outcome.events.sort { $0.time < $1.time }
        return outcome
    }

    /// The three columns, one event per row, times in milliseconds from the first event.
    public static func timeline(_ events: [Event], width: Int = 34) -> [String] {
        guard let start = events.first?.time else { return [] }
        func cell(_ text: String) -> String {
            text.count > width
                ? String(text.prefix(width - 1)) + "…" : text + String(repeating: " ", count: width - text.count)
        }
        var lines = [
            "   ms   " + cell("send() (application)") + " " + cell("wire (TCP segment)") + " recv() (application)"
        ]
        for event in events {
            let milliseconds = (event.time - start) * 1000
            let stamp = String(Int(milliseconds * 10) / 10) + "." + String(Int(milliseconds * 10) % 10)
            var row = String(repeating: " ", count: max(0, 6 - stamp.count)) + stamp + "  "
            switch event.column {
            case .send: row += cell(event.text)
            case .wire: row += cell("") + " " + cell(event.text)
            case .recv: row += cell("") + " " + cell("") + " " + event.text
            }
            lines.append(row)
        }
        return lines
    }

    /// The receiver thread's record, read by the main thread after it finished.
    final class EventLog: Sendable {
        private struct State {
            var events: [Event] = []
            var delivered: [[UInt8]] = []
            var failure: String?
        }
        private let state = Mutex(State())

        func add(_ event: Event) { state.withLock { $0.events.append(event) } }
        func deliver(_ message: [UInt8]) { state.withLock { $0.delivered.append(message) } }
        func fail(_ reason: String) { state.withLock { $0.failure = reason } }
        var events: [Event] { state.withLock { $0.events } }
        var delivered: [[UInt8]] { state.withLock { $0.delivered } }
        var failure: String? { state.withLock { $0.failure } }
    }
}
