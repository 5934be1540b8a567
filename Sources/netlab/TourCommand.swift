import ArgumentParser
import Capture
import Foundation
import Labs

struct TourCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tour",
        abstract: "A guided minute: a real HTTP exchange on loopback, captured and explained.",
        discussion: """
            netlab starts its HTTP server on 127.0.0.1 (an ephemeral port), captures on lo, fetches
            the page with its own client, and walks through every packet: the three-way handshake,
            the request and response, the teardown, each with one plain sentence and each side's
            TCP state; then a ladder diagram and the lessons to read next. Live capture needs root
            or CAP_NET_RAW; without it netlab says so and tells the story from captures/http-get.pcap.

            Examples:
              sudo netlab tour
              sudo netlab tour -w first.pcap      # keep the packets for Wireshark
              netlab tour --replay captures/http-get.pcap
            """,
        aliases: ["demo"]
    )

    @Option(name: .customShort("w"), help: "Also save the captured packets to this pcap file.")
    var writeFile: String?

    @Option(help: "Tell the story from this capture instead of capturing live.")
    var replay: String?

    @Flag(name: .customShort("v"), help: "Verbose packet lines (IP header fields, checksums).")
    var verbose = false

    func run() throws {
        var tour = Tour()
        tour.saveTo = writeFile
        tour.verbose = verbose
        let say: (String) -> Void = { Console.output($0) }
        say("netlab tour — what one HTTP request looks like on the wire\n")
        if let replay {
            try replayCapture(tour, replay, say: say)
            return
        }
        do {
            _ = try tour.runLive(say: say)
        } catch {
            switch error {
            case .capture(let reason):
                say("Live capture is not possible here: \(reason)")
                guard let bundled = SourceTree.find("captures/http-get.pcap") else {
                    Console.error("netlab: captures/http-get.pcap was not found; pass --replay FILE")
                    throw ExitCode(ExitCodes.noInput)
                }
                try replayCapture(tour, bundled, say: say)
            case .exchange:
                Console.error("netlab: \(error)")
                throw ExitCode(ExitCodes.software)
            }
        }
    }

    private func replayCapture(_ tour: Tour, _ path: String, say: (String) -> Void) throws {
        say("Replaying the recorded exchange in \(path) instead.\n")
        do {
            let count = try tour.replay(path, say: say)
            say("\n\(count) packets replayed.")
        } catch {
            throw failure(error)
        }
    }
}
