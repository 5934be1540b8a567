import Foundation

/// Decides which tcpdump output records are "in scope" for netlab's decoders: link, ARP, IPv4,
/// IPv6 with extension headers, TCP (every option tcpdump prints, MPTCP included, and the
/// HTTP/SSH/SMTP/FTP/WHOIS/RTSP first lines), UDP (DNS over UDP included),
/// ICMP, ICMPv6 basics and IGMP, plus tcpdump's truncation and error marks. Records where
/// tcpdump ran an application decoder netlab does not have (DNS, BGP, NTP, VXLAN, …)
/// are out of scope and reported by class instead of being compared.
enum ScopeClassifier {
    /// A record: a timestamped line and the continuation lines under it.
    struct Record {
        var lines: [String]
    }

    static func records(_ text: String) -> [Record] {
        var result: [Record] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }  // the final newline ends a line, it does not start one
        for line in lines {
            let line = String(line)
            if startsWithTimestamp(line) || line.hasPrefix("[Invalid header") || result.isEmpty {
                result.append(Record(lines: [line]))
            } else {
                result[result.count - 1].lines.append(line)
            }
        }
        return result
    }

    static func startsWithTimestamp(_ line: String) -> Bool {
        // tcpdump 4.99 prints this instead of a time whose 32-bit seconds have the sign bit set.
        if line.hasPrefix("[Error converting time] ") { return true }
        let bytes = Array(line.utf8.prefix(16))
        guard bytes.count == 16 else { return false }
        return bytes[2] == UInt8(ascii: ":") && bytes[5] == UInt8(ascii: ":") && bytes[8] == UInt8(ascii: ".")
    }

    /// nil when in scope; otherwise the out-of-scope class (a short name).
    static func outOfScopeClass(_ record: Record) -> String? {
        let text = record.lines.joined(separator: "\n")
        let first = record.lines[0]
        var body = String(first.dropFirst(16))
        // LINUX_SLL2 puts the interface name and packet direction first ("lo    In  IP …").
        if let prefix = body.range(of: #"^\S+ +(In|Out|B|M|P|\?) +(?=IP|ARP)"#, options: .regularExpression) {
            body.removeSubrange(prefix)
        }
        // Link layers and protocols tcpdump decodes and netlab does not.
        for (marker, name) in foreignMarkers where text.contains(marker) { return name }
        if body.hasPrefix("ARP, ") { return nil }
        if text.contains("ICMP6, ") {
            for unsupported in ["router renumbering", "who-are-you", "node information"]
            where text.contains(unsupported) {
                return "icmp6:" + unsupported
            }
        }
        // netlab's own marks and fallbacks: truncation at a layer it decodes, fragments and
        // unknown IP protocols, and frames with an EtherType it does not decode.
        if netlabMarks.contains(where: { text.contains($0) }) || text.contains("ip-proto-")
            || body.contains("ethertype ")
        {
            return nil
        }
        guard
            body.hasPrefix("IP ") || body.hasPrefix("IP6 ") || body.hasPrefix("IP6,") || body.hasPrefix("IP (")
                || body.hasPrefix(" [|") || body.hasPrefix("[Invalid")
        else {
            return "link:" + (body.split(separator: " ").first.map(String.init) ?? "?")
        }
        if let transportIndex = record.lines.firstIndex(where: { $0.contains(": Flags [") }) {
            let transport = record.lines[transportIndex]
            // Whatever follows "length N" must be one of netlab's text protocols or RST data.
            if let range = transport.range(of: ", length ", options: .backwards) {
                let after = transport[range.upperBound...].drop { $0.isNumber }
                let allowed = [": HTTP", ": SSH: ", ": SMTP", ": FTP", ": WHOIS", ": RTSP", " [RST", " [!RST"]
                if !after.isEmpty && !allowed.contains(where: { after.hasPrefix($0) }) {
                    return "tcp-app:" + appName(String(after))
                }
                // With -v, application decoders write their own lines under the TCP line.
                if after.isEmpty && transportIndex + 1 < record.lines.count {
                    return "tcp-app:" + appName(record.lines[transportIndex + 1])
                }
            }
            return nil
        }
        if text.contains(": ICMP ") || text.contains("ICMP6, ") || text.contains(": igmp") { return nil }
        if text.contains("UDP, length") || text.contains("UDP, bad length") || text.contains("truncated-udp") {
            return nil
        }
        // DNS over UDP (port 53 on either side) is netlab's own decoder (TcpdumpDNS), except the
        // data of EDNS options, which tcpdump decodes option by option (COOKIE, ECS, …) and netlab
        // does not: an option name followed by its data inside an OPT record's brackets.
        if text.range(of: #"OPT UDPsize=\d+( DO)? \[[^\]]*?([A-Z-]+|Opt\d+) [^\],\]\[]"#, options: .regularExpression)
            != nil
        {
            return "dns:edns-option-data"
        }
        if text.range(of: #"\.53 > [^ ]+\.\d+: |\.\d+ > [^ ]+\.53: "#, options: .regularExpression) != nil {
            return nil
        }
        if let range = text.range(of: #"\.\d+ > [^ ]+\.\d+: "#, options: .regularExpression) {
            return "udp-app:" + appName(String(text[range.upperBound...]))
        }
        return nil
    }

    static func appName(_ text: String) -> String {
        let trimmed = text.drop { $0 == ":" || $0 == " " || $0 == "," || $0 == "\t" }
        return String(trimmed.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "/" }.prefix(16))
    }

    /// Truncation marks of the layers netlab decodes.
    static let netlabMarks: [String] = [
        "ether", "vlan", "llc", "null", "sll", "sll2", "ipnet", "ipoib", "brcm-tag-prepend", "arp", "ip", "ip6",
        "hbhopt", "dstopt", "rt6", "frag6", "tcp", "mptcp", "udp", "icmp", "icmp6", "igmp", "http", "ssh", "smtp",
        "ftp", "whois", "rtsp",
    ].map { "[|\($0)]" }

    /// Markers of decoders netlab does not have, checked over the whole record.
    static let foreignMarkers: [(String, String)] = [
        ("Geneve", "udp-app:geneve"), ("VXLAN", "udp-app:vxlan"), ("OTV,", "udp-app:otv"),
        ("MPLS (", "udp-app:mpls"), ("GRE", "ip:gre"), ("igrp", "ip:igrp"), ("DCCP", "ip:dccp"),
        ("CFMv0", "link:cfm"), ("Loopback, skipCount", "link:loopback"),
        ("wrong link-layer encapsulation", ""),
    ].filter { !$0.1.isEmpty }
}
