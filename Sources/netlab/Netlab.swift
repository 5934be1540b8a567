import ArgumentParser
import ProcessControl

#if canImport(Glibc)
    import Glibc
#endif

@main
struct Netlab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netlab",
        abstract: "See what sockets, TCP, UDP and HTTP really do on the wire.",
        discussion: """
            Start with the tour, then the lessons, then your own traffic:
              sudo netlab tour                            a real HTTP exchange on loopback, explained
              netlab lesson list                          the lessons, with checks for your captures
              sudo netlab sniff lo tcp port 8000          watch your own programs (like tcpdump -nn)

            Look at captures:  sniff -r, follow, stats, ladder, graph
            Run programs:      server http|echo|chat|files|dns, client tcp|http, udp, send-file, resolve, ping
            Grade your own:    probe http URL, probe client -- CMD {url} (with the wire evidence),
                               probe echo|chat|upload HOST PORT
            Experiments:       stick demo (sticky packets), compare (TCP vs UDP under loss), udp demo
            Measure:           bench http (requests/s and latency of any HTTP server, like wrk)
            Realistic paths:   path run|exec|shell (delay, rate, loss, MTU 1500 in network namespaces)
            """,
        version: "0.1.0",
        subcommands: [
            TourCommand.self, LessonCommand.self, Sniff.self, Follow.self, Stats.self, Ladder.self, Graph.self,
            Server.self, Client.self, UDP.self, SendFile.self, Resolve.self, Stick.self, Compare.self, Bench.self,
            Ping.self, PathCommand.self, Probe.self,
        ]
    )

    /// Every command starts here: SIGPIPE is ignored first (a reader or client that goes away is
    /// an EPIPE for the writer to handle, not the end of the process), and every failure a
    /// command lets out is one line on stderr with its exit code.
    static func main() {
        Signals.ignoreBrokenPipe()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CommandFailure {
            Console.error("netlab: \(failure.message)")
            Glibc.exit(failure.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}
