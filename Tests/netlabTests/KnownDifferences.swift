/// The reviewed list of ways netlab's output may differ from the installed tcpdump's on
/// generated packets. Each entry names the class and why it is accepted; anything else that
/// differs fails `GeneratedDifferentialTests` and is listed.
enum KnownDifferences {
    struct Entry: Sendable {
        var name: String
        /// Why the difference is accepted (out of scope, or tcpdump's own defect).
        var reason: String
        /// Given tcpdump's and netlab's lines of one packet, whether this entry explains them.
        var matches: @Sendable (_ tcpdump: [String], _ netlab: [String]) -> Bool
    }

    static let entries: [Entry] = [
        Entry(
            name: "out-of-scope: 802.3/LLC payload decoders",
            reason: """
                tcpdump decodes the LLC header (SAP names, I/S/U frames) and what follows it (STP, \
                IPX, NetBEUI, SNAP, OSI, IP over LLC); netlab prints a one-line 802.3 summary \
                (README, known gaps)
                """,
            matches: { _, netlab in
                guard let first = netlab.first else { return false }
                return first.contains(", 802.3, length ") && first.hasSuffix(": LLC")
            })
    ]

    /// The entry that explains a packet whose lines differ, or nil.
    static func explain(tcpdump: [String], netlab: [String]) -> Entry? {
        entries.first { $0.matches(tcpdump, netlab) }
    }
}
