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

    func run() throws {
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
