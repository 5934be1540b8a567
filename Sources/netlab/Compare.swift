import ArgumentParser
import Labs
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send the same messages over UDP and TCP through an impaired path; compare what arrives.",
        discussion: """
            The path is a userspace relay that drops, duplicates, reorders and delays packets,
            seeded so the same --seed gives the same decisions. As root it is `netlab path`'s:
            the sender in one network namespace, the receiver in another, both made for the run
            and gone with it, and the relay between them impairs every IP packet, TCP segments
            and ACKs included, so TCP must really retransmit; without root UDP goes through a socket relay and TCP runs unimpaired
            (the report says so). UDP: delivered, lost, duplicated, out of order, time,
            throughput, jitter (RFC 3550). TCP: every byte in order, and its retransmissions
            (TCP_INFO).

            Examples:
              sudo netlab compare --count 1000 --size 512 --loss 5%
              sudo netlab compare --loss 2% --reorder 5% --dup 1% --delay 20±5 --seed 7
              netlab compare --loss 10% --json
            """
    )

    @Option(help: "Messages to send.")
    var count = 1000

    @Option(help: "Bytes per message (at least 16).")
    var size = 512

    @Option(help: "Packets lost, e.g. 5%.")
    var loss = "0%"

    @Option(help: "Packets held back so later ones overtake them, e.g. 2%.")
    var reorder = "0%"

    @Option(help: "Packets duplicated, e.g. 1%.")
    var dup = "0%"

    @Option(help: "Delay in milliseconds, with optional jitter: 20 or 20±5 (or 20+-5).")
    var delay = "0"

    @Option(help: "Seed for the relay's decisions.")
    var seed: UInt64 = 1

    @Option(help: "UDP datagrams per second.")
    var rate = 20_000.0

    enum Relay: String, ExpressibleByArgument, CaseIterable { case auto, packet, socket }

    @Option(help: "The relay: packet (the network path, root), socket (UDP only, no root), or auto.")
    var relay: Relay = .auto

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        if count < 1 || count > 1_000_000 { throw ValidationError("--count takes 1 to 1000000") }
        if size < 16 || size > 65_000 { throw ValidationError("--size takes 16 to 65000 bytes") }
        for (name, value) in [("--loss", loss), ("--reorder", reorder), ("--dup", dup)]
        where Impairment.parsePercent(value) == nil {
            throw ValidationError("\(name) takes a percentage from 0% to 100%, not '\(value)'")
        }
        if Impairment.parseDelay(delay) == nil {
            throw ValidationError("--delay takes milliseconds with optional jitter, like 20 or 20±5, not '\(delay)'")
        }
        if rate <= 0 { throw ValidationError("--rate must be positive") }
    }

    func run() throws {
        var impairment = Impairment()
        impairment.loss = Impairment.parsePercent(loss)!
        impairment.reorder = Impairment.parsePercent(reorder)!
        impairment.duplicate = Impairment.parsePercent(dup)!
        (impairment.delay, impairment.jitter) = Impairment.parseDelay(delay)!
        impairment.seed = seed
        var comparison = Comparison()
        comparison.count = count
        comparison.size = size
        comparison.impairment = impairment
        comparison.rate = rate
        comparison.usePacketRelay = relay == .auto ? nil : relay == .packet
        if !json { Console.error("Sending \(count) messages of \(size) bytes over UDP, then TCP (\(impairment))…") }
        let report: Comparison.Report
        do {
            report = try comparison.run()
        } catch {
            throw failure(error)
        }
        if json {
            Console.output(report.json(impairment: impairment, size: size))
            return
        }
        Console.output("path: \(report.path)")
        for line in report.table { Console.output(line) }
        for note in report.notes { Console.output("note: \(note)") }
        Console.output(
            "\nUDP delivered what survived the path, in the order it arrived, and nothing more. TCP delivered "
                + (!(report.tcp.complete && report.tcp.inOrder && report.tcp.intact)
                    ? "not everything (see above)."
                    : report.tcp.impaired
                        ? "every byte, in order, paying with retransmissions and time."
                        : "every byte, in order — but its path was not impaired here (see the note)."))
    }
}
