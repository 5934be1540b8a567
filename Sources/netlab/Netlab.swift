import ArgumentParser

@main
struct Netlab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netlab",
        abstract: "See what sockets, TCP, UDP and HTTP really do on the wire.",
        discussion: """
            Start with the guided demo, then capture your own traffic:
              netlab demo                    # a real HTTP exchange on loopback, decoded
              sudo netlab sniff lo tcp port 8080
              netlab sniff -r captures/http-get.pcap -v
            """,
        version: "0.1.0",
        subcommands: [
            Sniff.self, Follow.self, Stats.self, Ladder.self, Server.self, Client.self, Resolve.self, UDP.self,
            Stick.self, SendFile.self, Compare.self,
            Demo.self,
        ]
    )
}
