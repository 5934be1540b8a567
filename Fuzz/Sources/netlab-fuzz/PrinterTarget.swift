import Inspect

/// The tcpdump printer, every link type, `-nn` and `-nn -v`.
///
/// Input: byte 0 picks the link type (index into `linkTypes`, modulo its count), byte 1 is how
/// many bytes the capture cut off (wire length = captured length + byte 1), the rest is the
/// captured packet.
enum PrinterTarget {
    /// Every link type netlab decodes, plus one it does not (the "unsupported" path).
    static let linkTypes: [LinkType] = [
        .null, .ethernet, .raw, .rawBSD, .rawLinktype, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2, .ipnet,
        .ipOverInfiniBand, .broadcomTagPrepend, LinkType(rawValue: 147),
    ]

    static func linkType(_ selector: UInt8) -> LinkType { linkTypes[Int(selector) % linkTypes.count] }

    static func run(_ data: [UInt8]) {
        guard data.count >= 2 else { return }
        let linkType = linkType(data[0])
        let cut = Int(data[1])
        var out = TextBuffer(capacity: 4096)
        data.withUnsafeBytes { raw in
            let packet = ByteView(UnsafeRawBufferPointer(rebasing: raw[2...]))
            for verbosity in 0...1 {
                var printer = TcpdumpPrinter(verbosity: verbosity)
                let before = out.count
                printer.print(
                    packet, wireLength: packet.count + cut, linkType: linkType, seconds: 1_700_000_000,
                    microseconds: 123_456, into: &out)
                // One record per packet, always ended by a newline.
                guard out.count > before, out.last == 0x0A else { violated("a printed record does not end in \\n") }
            }
            _ = TCPSegment.parse(packet, linkType: linkType)
        }
    }
}
