import ArgumentParser

struct Server: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one of netlab's servers: a static HTTP server, an echo server, a chat server.",
        subcommands: [ServerHTTP.self, ServerEcho.self, ServerChat.self]
    )
}
