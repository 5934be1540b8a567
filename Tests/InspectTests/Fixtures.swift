@testable import Inspect

/// Builds frames byte by byte for decoder tests.
enum Fixtures {
    static func ipv4Header(
        proto: UInt8, payloadLength: Int, totalLength: Int? = nil, source: [UInt8] = [10, 0, 0, 1],
        destination: [UInt8] = [10, 0, 0, 2], flagsAndOffset: UInt16 = 0x4000
    ) -> [UInt8] {
        let total = totalLength ?? 20 + payloadLength
        var header: [UInt8] = [
            0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0x12, 0x34, UInt8(flagsAndOffset >> 8),
            UInt8(flagsAndOffset & 0xFF), 64, proto, 0, 0,
        ]
        header += source + destination
        let sum = InternetChecksum.compute(ByteView.with(header) { $0 })
        header[10] = UInt8(sum >> 8)
        header[11] = UInt8(sum & 0xFF)
        return header
    }

    static func tcpHeader(
        sourcePort: UInt16 = 40000, destinationPort: UInt16 = 80, seq: UInt32 = 1000, ack: UInt32 = 0,
        flags: UInt8 = 0x02, window: UInt16 = 65535, options: [UInt8] = []
    ) -> [UInt8] {
        let offset = UInt8((20 + options.count) / 4) << 4
        var header: [UInt8] = [
            UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8),
            UInt8(destinationPort & 0xFF),
        ]
        header += be32(seq) + be32(ack) + [offset, flags, UInt8(window >> 8), UInt8(window & 0xFF), 0, 0, 0, 0]
        return header + options
    }

    static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// Decodes one raw-IP packet into a tcpdump line (without the timestamp and newline).
    static func line(
        _ packet: [UInt8], wireLength: Int? = nil, linkType: LinkType = .raw, verbosity: Int = 0,
        printer: inout TcpdumpPrinter
    ) -> String {
        var out = TextBuffer()
        ByteView.with(packet) { view in
            printer.print(
                view, wireLength: wireLength ?? packet.count, linkType: linkType, seconds: 0, microseconds: 0,
                into: &out)
        }
        return String(out.string.dropFirst(16).dropLast())
    }

    static func line(_ packet: [UInt8], wireLength: Int? = nil, linkType: LinkType = .raw, verbosity: Int = 0)
        -> String
    {
        var printer = TcpdumpPrinter(verbosity: verbosity)
        return line(packet, wireLength: wireLength, linkType: linkType, verbosity: verbosity, printer: &printer)
    }
}

extension ByteView {
    /// Runs `body` with a view of `bytes`.
    static func with<R>(_ bytes: [UInt8], _ body: (ByteView) -> R) -> R {
        bytes.withUnsafeBytes { body(ByteView($0)) }
    }
}
