/// The reviewed list of ways netlab's output may differ from the installed tcpdump's on
/// generated packets (and the golden captures). Each entry names the class and why it is
/// accepted; anything else that differs fails the tests and is listed.
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
            reason: "tcpdump decodes the LLC header (SAP names, I/S/U frames) and what follows it (STP, IPX, "
                + "NetBEUI, SNAP, OSI, IP over LLC), and dumps a cut LLC header in hex; netlab prints a "
                + "one-line 802.3 summary (README, known gaps)",
            matches: { tcpdump, netlab in
                guard let first = netlab.first else { return false }
                return first.contains(", 802.3, length ") && first.hasSuffix(": LLC")
                    || first.hasSuffix(" [|llc]") && tcpdump.first == first
            }),
        Entry(
            name: "out-of-scope: ICMPv6 router renumbering and node information",
            reason: "tcpdump decodes router renumbering (RFC 2894) and node information messages (RFC 4620, "
                + "types 139/140, named who-are-you); netlab names the type only (README, known gaps)",
            matches: { tcpdump, _ in
                guard let first = tcpdump.first else { return false }
                return first.contains("ICMP6, router renumbering") || first.contains("ICMP6, who-are-you")
                    || first.contains("ICMP6, node information")
            }),
        Entry(
            name: "out-of-scope: ICMPv6 RPL decoder",
            reason: "tcpdump decodes RPL (RFC 6550) control messages; netlab names the type only (README, known gaps)",
            matches: { tcpdump, _ in tcpdump.first?.contains("ICMP6, RPL, ") ?? false }),
        Entry(
            name: "tcpdump defect: DNSSL name read past its option",
            reason: "a DNS search list option (RFC 8106) whose last name has no terminating zero: tcpdump's "
                + "name printer ignores the option length and prints the following bytes as labels; netlab "
                + "stops at the option's end",
            matches: { tcpdump, netlab in
                zip(tcpdump, netlab).contains { $0 != $1 && $0.contains("dnssl option (31)") }
            }),
    ]

    /// The entry that explains a packet whose lines differ, or nil.
    static func explain(tcpdump: [String], netlab: [String]) -> Entry? {
        entries.first { $0.matches(tcpdump, netlab) }
    }
}
