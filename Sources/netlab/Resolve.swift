import ArgumentParser
import Inspect
import Sockets

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what getaddrinfo(3) returns for a name: every address a client would try.",
        discussion: """
            One line per result: address family, socket type, protocol and address:port, in the
            order getaddrinfo returns them (the order connect() should try them in). Names come
            from /etc/hosts and DNS, as /etc/nsswitch.conf says; numeric addresses come back as they are.

            Examples:
              netlab resolve localhost
              netlab resolve localhost http           # a service name from /etc/services
              netlab resolve example.com 443 --family 6
              netlab resolve ::1 --type any           # stream, datagram and raw entries

            With --server, netlab skips getaddrinfo and asks that DNS server itself, over UDP, and
            shows the query and the answer (with --show, byte by byte):
              netlab resolve www.netlab.test --server 127.0.0.1:5300 --show
              netlab resolve netlab.test --server 127.0.0.1:5300 --record MX
            """
    )

    enum Family: String, ExpressibleByArgument, CaseIterable {
        case any, four = "4", six = "6"
    }

    enum SocketKind: String, ExpressibleByArgument, CaseIterable {
        case stream, dgram, any
    }

    @Argument(help: "Host name or numeric address.")
    var name: String

    @Argument(help: "Port number or service name (default: none, port 0).")
    var service: String?

    @Option(help: "Address family: 4, 6 or any.")
    var family: Family = .any

    @Option(help: "Socket type: stream (TCP), dgram (UDP) or any.")
    var type: SocketKind = .stream

    @Option(help: "Ask this DNS server directly (ADDRESS[:PORT], [IPv6]:PORT; port 53 by default).")
    var server: String?

    @Option(help: "With --server: the record type to ask for (A, AAAA, MX, TXT, CNAME, NS, SOA, SRV, PTR, ANY).")
    var record = "A"

    @Flag(help: "With --server: print the query and the answer field by field and byte by byte.")
    var show = false

    @Option(help: "With --server: seconds to wait for each of two attempts.")
    var timeout = 2.0

    func validate() throws {
        if server != nil && service != nil { throw ValidationError("--server asks DNS: drop the service argument") }
        if DNSType.parse(record) == nil { throw ValidationError("'\(record)' is not a record type (A, AAAA, MX, …)") }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if server == nil && (show || record != "A") {
            throw ValidationError("--record and --show need --server (getaddrinfo has no record types)")
        }
    }

    func run() throws {
        if let server {
            try DNSQueryCommand(name: name, server: server, record: record, show: show, timeout: timeout).run()
            return
        }
        let entries: [Resolver.Entry]
        do {
            entries = try Resolver.resolve(
                name, service: service,
                type: type == .stream ? .stream : type == .dgram ? .datagram : nil,
                family: family == .four ? .inet : family == .six ? .inet6 : .any, canonicalName: true)
        } catch {
            throw failure(error)
        }
        var out = TextBuffer()
        out.append(
            string:
                "getaddrinfo(\"\(name)\", \(service.map { "\"\($0)\"" } ?? "NULL")): \(entries.count) result\(entries.count == 1 ? "" : "s")\n"
        )
        if let canonical = entries.first?.canonicalName, canonical != name {
            out.append(string: "canonical name: \(canonical)\n")
        }
        for entry in entries {
            let familyName =
                entry.address.family == .inet
                ? "AF_INET " : entry.address.family == .inet6 ? "AF_INET6" : "\(entry.address.family)"
            out.append(
                string:
                    "  \(familyName)  \(entry.socketType.description.padding(11))  \(entry.protocolName.padding(4))  \(entry.address)\n"
            )
        }
        _ = Console.write(&out)
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
