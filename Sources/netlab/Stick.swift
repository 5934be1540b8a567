import ArgumentParser
import Labs
import Sockets

extension Framing: ExpressibleByArgument {}

struct Stick: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stick",
        abstract: "Sticky packets (粘包): TCP is a byte stream; framing gives messages back.",
        subcommands: [StickDemoCommand.self]
    )
}

struct StickDemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Many small send() calls, merged and split by recv(); then the same with framing.",
        discussion: """
            Prints a timeline in three columns: each send() call, each TCP segment on the wire
            (captured on lo; needs root), and each recv() return. The demo sets TCP_NODELAY and
            pauses between sends, so each send() leaves as its own segment and the boundaries
            vanish in the receiver's buffer. Programs that do neither also lose them on the
            sender: Nagle's algorithm merges small writes while earlier data is unacknowledged
            (--nagle shows it: fewer segments than sends). The second run frames every message (a 4-byte
            length, a JSON header, or a newline) and the receiver cuts the stream back into them.

            Examples:
              sudo netlab stick demo
              sudo netlab stick demo --framing delimiter --recv-buffer 16
              netlab stick demo --messages 30 --framing json-header
            """
    )

    @Option(help: "How many messages to send.")
    var messages = 12

    @Option(help: "Framing for the second run: length, json-header or delimiter.")
    var framing: Framing = .length

    @Option(help: "Bytes each recv() asks for.")
    var recvBuffer = 64

    @Option(help: "Milliseconds the receiver waits before its first recv().")
    var delayMs = 50

    @Flag(help: "Do not try to capture.")
    var noCapture = false

    @Flag(help: "Keep Nagle's algorithm on and send without pauses, as programs do by default.")
    var nagle = false

    func validate() throws {
        if messages < 1 || messages > 1000 { throw ValidationError("--messages takes 1 to 1000") }
        if recvBuffer < 1 || recvBuffer > 1 << 20 { throw ValidationError("--recv-buffer takes 1 to 1048576 bytes") }
        if delayMs < 0 { throw ValidationError("--delay-ms cannot be negative") }
        if framing == .none {
            throw ValidationError("--framing none is the first run already; pick length, json-header or delimiter")
        }
    }

    func run() throws {
        var demo = StickDemo()
        demo.messages = messages
        demo.receiveBuffer = recvBuffer
        demo.receiverDelay = Double(delayMs) / 1000
        demo.capture = !noCapture
        demo.nagle = nagle
        for (index, current) in [Framing.none, framing].enumerated() {
            demo.framing = current
            let outcome: StickDemo.Outcome
            do {
                outcome = try demo.run()
            } catch {
                throw failure(error)
            }
            Console.output(
                index == 0
                    ? "Run 1: \(messages) messages, no framing. recv() buffer \(recvBuffer) B, first recv() after \(delayMs) ms.\n"
                    : "\nRun 2: the same messages with \(current.rawValue) framing.\n")
            if index == 0 { Console.output("(on \(outcome.place))") }
            if let note = outcome.captureNote { Console.output("(\(note))") }
            for line in StickDemo.timeline(outcome.events) { Console.output(line) }
            let wire =
                outcome.segments.map { "\($0) segment\($0 == 1 ? "" : "s") on the wire" } ?? "segments not captured"
            Console.output(
                "\n\(outcome.sendCalls) send() calls, \(wire), \(outcome.recvCalls) recv() returns.")
            if current == .none {
                let whole = outcome.delivered.filter { piece in outcome.sentMessages.contains(piece) }.count
                Console.output(
                    "The receiver cannot tell where one message ends: \(whole) of \(outcome.recvCalls) recv() returns "
                        + "happened to be exactly one message. "
                        + (nagle
                            ? "With Nagle's algorithm the sender merged writes too: compare the segments with the send() calls."
                            : "The boundaries were on the wire (TCP_NODELAY, paced sends), and vanished in the receive buffer.")
                )
            } else if let error = outcome.framingError {
                Console.output("Framing failed: \(error)")
            } else {
                let intact = outcome.delivered == outcome.sentMessages
                Console.output(
                    "The receiver cut the stream back into \(outcome.delivered.count) messages"
                        + (intact ? ", every one whole and in order." : ", but they differ from what was sent!"))
                for message in outcome.delivered.prefix(3) {
                    Console.output("  message: \"\(String(decoding: message, as: UTF8.self))\"")
                }
                if outcome.delivered.count > 3 { Console.output("  …") }
            }
        }
    }
}
