/// The reviewed list of ways netlab's lines may differ from the installed tcpdump's on
/// generated packets. Each entry names the class and why it is accepted; anything else that
/// differs fails `GeneratedDifferentialTests`.
enum KnownDifferences {
    struct Entry: Sendable {
        var name: String
        /// Why the difference is accepted (out of scope, or tcpdump's own defect).
        var reason: String
        var matches: @Sendable (_ tcpdump: String, _ netlab: String, _ verbose: Bool) -> Bool
    }

    static let entries: [Entry] = []

    static func explain(tcpdump: String, netlab: String, verbose: Bool) -> String? {
        entries.first { $0.matches(tcpdump, netlab, verbose) }?.name
    }
}
