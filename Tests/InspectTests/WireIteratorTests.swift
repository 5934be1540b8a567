import TestSupport
import XCTest

@testable import Inspect

/// The iterators every view shares (TCP options, IPv4 and IPv6 options, the IPv6 extension
/// chain, the link demux): known layouts, then seeded random bytes, where each must end, move
/// forward, stay inside its bytes and never trap.
final class WireIteratorTests: XCTestCase {

    func testTCPOptionsOfASyn() {
        // mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7 (a Linux SYN).
        let bytes: [UInt8] = [2, 4, 5, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]
        ByteView.with(bytes) { view in
            let kinds = TCPOptions(view).map { element -> String in
                switch element {
                case .option(let option): "\(option.kind):\(option.data.count)"
                case .malformed(let offset): "bad@\(offset)"
                case .truncated(let offset): "cut@\(offset)"
                }
            }
            XCTAssertEqual(kinds, ["2:2", "4:0", "8:8", "1:0", "3:1"])
        }
        ByteView.with([2, 1, 5, 0xB4]) { view in
            XCTAssertEqual(Array(TCPOptions(view)).count, 1, "a length below 2 ends the walk")
        }
        ByteView.with([0, 2, 4, 5, 0xB4]) { view in
            XCTAssertEqual(Array(TCPOptions(view)).count, 1, "nothing after end-of-list")
        }
    }

    func testTCPOptionsTcpdumpSteppingUsesTheExpectedSize() {
        // An mss whose length byte says 3: the RFC walk spans 3 bytes (and then finds a kind 0xB4
        // with a length of 1: malformed); print-tcp.c steps over 2 data bytes, whatever the
        // length byte says, and finds the nop after them.
        let bytes: [UInt8] = [2, 3, 5, 0xB4, 1]
        func walk(_ stepping: TCPOptions.Stepping, length: Int? = nil, _ bytes: [UInt8]) -> [String] {
            ByteView.with(bytes) { view in
                TCPOptions(view, length: length, stepping: stepping).map { element -> String in
                    switch element {
                    case .option(let option):
                        "\(option.kind)/\(option.declaredLength)@\(option.dataOffset)+\(option.dataLength)r\(option.room)"
                    case .malformed(let offset): "bad@\(offset)"
                    case .truncated(let offset): "cut@\(offset)"
                    }
                }
            }
        }
        XCTAssertEqual(walk(.declared, bytes), ["2/3@2+1r3", "bad@3"])
        XCTAssertEqual(walk(.tcpdump, bytes), ["2/3@2+2r3", "1/1@5+0r0"])
        // The header says 8 option bytes but 3 were captured: tcpdump's walk runs into the cut.
        XCTAssertEqual(walk(.tcpdump, length: 8, [1, 1, 3]), ["1/1@1+0r7", "1/1@2+0r6", "cut@2"])
        XCTAssertEqual(walk(.declared, [1, 1, 3]), ["1/1@1+0r2", "1/1@2+0r1", "bad@2"])
        // A length past the header is malformed in both.
        XCTAssertEqual(walk(.tcpdump, length: 4, [8, 10, 0, 0]), ["bad@0"])
    }

    func testIPv6ChainFindsTCPAfterOptionsAndTheRoutingDestination() {
        // IPv6 → hop-by-hop (PadN) → routing type 2 (one address) → TCP.
        var packet: [UInt8] =
            [0x60, 0, 0, 0, 0, 48, 0, 64] + [UInt8](repeating: 1, count: 16)
            + [UInt8](repeating: 2, count: 16)
        packet += [43, 0, 1, 4, 0, 0, 0, 0]
        packet += [6, 2, 2, 1, 0, 0, 0, 0] + [UInt8](repeating: 9, count: 16)
        packet += [UInt8](repeating: 0, count: 16)
        ByteView.with(packet) { view in
            let ip = IPPacket.decodeIPv6(view)
            XCTAssertEqual(ip?.proto, IPProtocol.tcp)
            XCTAssertEqual(ip?.transportLength, 16)
            XCTAssertEqual(ip?.finalDestination, ByteView.with([UInt8](repeating: 9, count: 16)) { IPAddress($0) })
        }
    }

    func testRandomBytesNeverTrapAndAlwaysEnd() {
        let runs = Int(ProcessInfo.processInfo.environment["NETLAB_WIRE_RUNS"] ?? "") ?? 20_000
        var generator = SeededGenerator(state: 11)
        let links: [LinkType] = [
            .ethernet, .null, .loop, .raw, .ipv4, .ipv6, .linuxSLL, .linuxSLL2, .ipnet,
            .ipOverInfiniBand, .broadcomTagPrepend,
        ]
        var decoded = 0
        for _ in 0..<runs {
            let count = Int.random(in: 0...96, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Bias towards headers the walkers go into: an IPv6 packet with extension headers.
            if count > 48 && Bool.random(using: &generator) {
                bytes[0] = 0x60
                bytes[6] = [0, 43, 44, 60, 6].randomElement(using: &generator)!
            }
            ByteView.with(bytes) { view in
                var steps = 0
                for element in TCPOptions(view) {
                    steps += 1
                    if case .option(let option) = element { XCTAssertLessThanOrEqual(option.data.count, count) }
                }
                XCTAssertLessThanOrEqual(steps, count)
                // tcpdump's stepping, with a header longer than what was captured: every step
                // uses at least one header byte, and data never reaches past the capture.
                let declared = count + Int.random(in: 0...8, using: &generator)
                steps = 0
                for element in TCPOptions(view, length: declared, stepping: .tcpdump) {
                    steps += 1
                    if case .option(let option) = element {
                        XCTAssertLessThanOrEqual(option.dataOffset + option.data.count, count)
                    }
                }
                XCTAssertLessThanOrEqual(steps, declared)
                steps = 0
                for _ in IPv6Options(view) { steps += 1 }
                XCTAssertLessThanOrEqual(steps, count)
                if let ip = IPv6Header(view) {
                    steps = 0
                    for _ in IPv6ExtensionChain(ip) { steps += 1 }
                    XCTAssertLessThanOrEqual(steps, count / 2 + 2)
                }
                if let ip = IPv4Header(view) {
                    _ = ip.finalDestination
                    steps = 0
                    for _ in IPv4Options(ip) { steps += 1 }
                    XCTAssertLessThanOrEqual(steps, 40)
                }
                for link in links {
                    if let packet = IPPacket.decode(view, linkType: link, wireLength: count) {
                        decoded += 1
                        XCTAssertLessThanOrEqual(packet.transport.count, count)
                    }
                }
            }
        }
        XCTAssertGreaterThan(decoded, 0)
    }
}
