import ArgumentParser
import Foundation
import ProcessControl
import Sockets

struct ServerDNS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Answer DNS queries over UDP from a zone file (authoritative, no recursion).",
        discussion: """
            Reads the zone file (format: `name [ttl] type data` lines, $ORIGIN and $TTL; see
            lessons/zones/netlab.test.zone) and answers each query at once: the records asked
            for (a CNAME chain is followed inside the zone), NXDOMAIN with the SOA for a name
            that does not exist, REFUSED outside the zone, FORMERR for a message it cannot
            read. Answers larger than the client accepts (512 bytes without EDNS) are cut and
            marked TC. Each query is logged on stderr.

            Examples:
              netlab server dns --zone lessons/zones/netlab.test.zone --port 5300
              netlab resolve www.netlab.test --server 127.0.0.1:5300 --show
              dig @127.0.0.1 -p 5300 www.netlab.test       # any resolver works too
              sudo netlab sniff lo udp port 5300          # the queries on the wire
            """
    )

    @Option(help: "The zone file to serve.")
    var zone: String

    @Option(help: "Port; 0 picks a free ephemeral port (53 needs root).")
    var port: UInt16 = 5300

    @Option(help: "Address to listen on (127.0.0.1, ::1, 0.0.0.0, ::).")
    var bind = "127.0.0.1"

    @Flag(name: [.customShort("q"), .long], help: "No query log.")
    var quiet = false

    func run() throws {
        guard let data = FileManager.default.contents(atPath: zone) else {
            throw Failure("cannot read the zone file \(zone)", exitCode: ExitCodes.noInput)
        }
        let parsed: DNSZone
        do {
            parsed = try DNSZone(text: String(decoding: data, as: UTF8.self))
        } catch {
            throw Failure("\(zone): \(error)", exitCode: ExitCodes.dataError)
        }
        guard !parsed.entries.isEmpty else { throw Failure("\(zone) has no records", exitCode: ExitCodes.dataError) }
        let server: DNSServer
        do {
            server = try DNSServer(zone: parsed, host: bind, port: port)
        } catch {
            throw failure(error)
        }
        if !quiet { server.log = { Console.error($0) } }
        Console.error("Answering DNS for \(parsed.entries.count) records on \(server.address) (UDP). Ctrl-C stops.")
        Console.output(server.address.description)
        Signals.installStopHandlers()
        do {
            let summary = try server.run { Signals.stopRequested }
            let codes = summary.byCode.sorted { $0.key < $1.key }.map {
                "\(DNSResponder.rcodeNames[$0.key] ?? "rcode \($0.key)") \($0.value)"
            }
            Console.error(
                "stopped: \(summary.queries) datagrams, answered \(codes.isEmpty ? "none" : codes.joined(separator: ", "))"
                    + (summary.truncated > 0 ? ", \(summary.truncated) truncated" : "")
                    + (summary.dropped > 0 ? ", \(summary.dropped) dropped (not DNS queries)" : ""))
        } catch {
            throw failure(error)
        }
    }
}
