import ArgumentParser

struct Client: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clients: an interactive TCP client (like nc) and a raw-socket HTTP client.",
        subcommands: [ClientTCP.self, ClientHTTP.self]
    )
}
