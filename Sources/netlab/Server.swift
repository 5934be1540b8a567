import ArgumentParser

struct Server: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one of netlab's servers: static HTTP, echo (TCP or UDP), chat, file receiver.",
        subcommands: [ServerHTTP.self, ServerEcho.self, ServerChat.self, ServerFiles.self, ServerDNS.self]
    )
}
