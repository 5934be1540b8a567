import XCTest

@testable import Inspect

/// Byte fixtures for the tcpdump renderer: a good packet, a short buffer and a lying length
/// for each layer, as smoltcp's wire tests do.
final class TcpdumpPrinterTests: XCTestCase {
    func testSynWithOptions() {
        let options: [UInt8] = [2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 8, 10] + Fixtures.be32(100) + Fixtures.be32(0)
        let tcp = Fixtures.tcpHeader(options: options)
        let packet = Fixtures.ipv4Header(proto: 6, payloadLength: tcp.count) + tcp
        XCTAssertEqual(
            Fixtures.line(packet),
            "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 65535, "
                + "options [mss 1460,nop,wscale 7,sackOK,TS val 100 ecr 0], length 0")
    }

    func testTruncatedTCPHeaderIsMarked() {
        let tcp = Fixtures.tcpHeader()
        let packet = Fixtures.ipv4Header(proto: 6, payloadLength: tcp.count) + tcp
        // Cut inside the TCP header after the ports: tcpdump prints the ports and " [|tcp]".
        XCTAssertEqual(
            Fixtures.line(Array(packet.prefix(26)), wireLength: packet.count),
            "IP 10.0.0.1.40000 > 10.0.0.2.80:  [|tcp]")
        // Cut before the ports: only the addresses.
        XCTAssertEqual(
            Fixtures.line(Array(packet.prefix(22)), wireLength: packet.count), "IP 10.0.0.1 > 10.0.0.2: [|tcp]")
    }

    func testIPv4LengthLongerThanWire() {
        let tcp = Fixtures.tcpHeader()
        let packet = Fixtures.ipv4Header(proto: 6, payloadLength: tcp.count, totalLength: 100) + tcp
        XCTAssertTrue(Fixtures.line(packet).hasPrefix("IP truncated-ip - 60 bytes missing! 10.0.0.1.40000 > "))
    }

    func testIPv4TotalLengthShorterThanHeader() {
        let packet = Fixtures.ipv4Header(proto: 6, payloadLength: 0, totalLength: 8)
        XCTAssertEqual(Fixtures.line(packet), "IP bad-len 8")
    }

    func testBadTCPOptionLength() {
        let tcp = Fixtures.tcpHeader(options: [2, 9, 0, 0])  // mss claiming 9 bytes in a 4-byte option area
        let packet = Fixtures.ipv4Header(proto: 6, payloadLength: tcp.count) + tcp
        XCTAssertEqual(
            Fixtures.line(packet), "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 65535, options [[bad opt]"
        )
    }

    func testUDPAndVerboseChecksum() {
        var udp: [UInt8] = [0x9C, 0x40, 0x1F, 0x91, 0x00, 0x0B, 0x00, 0x00, 0x61, 0x62, 0x63]
        let packet = Fixtures.ipv4Header(proto: 17, payloadLength: udp.count) + udp
        XCTAssertEqual(Fixtures.line(packet), "IP 10.0.0.1.40000 > 10.0.0.2.8081: UDP, length 3")
        udp[4] = 0x00
        udp[5] = 0x40  // UDP length 64 > IP payload
        let lying = Fixtures.ipv4Header(proto: 17, payloadLength: udp.count) + udp
        XCTAssertEqual(Fixtures.line(lying), "IP 10.0.0.1.40000 > 10.0.0.2.8081: UDP, bad length 56 > 3")
        // Port 53 goes to the DNS printer first, as in print-udp.c: 3 bytes are no DNS header.
        udp[2] = 0x00
        udp[3] = 0x35
        udp[5] = 0x0B
        let dns = Fixtures.ipv4Header(proto: 17, payloadLength: udp.count) + udp
        XCTAssertEqual(Fixtures.line(dns), "IP 10.0.0.1.40000 > 10.0.0.2.53: domain [length 3 < 12] (invalid)")
    }

    func testICMPEchoAndUnknownProtocol() {
        let icmp: [UInt8] = [8, 0, 0, 0, 0x12, 0x34, 0, 7]
        XCTAssertEqual(
            Fixtures.line(Fixtures.ipv4Header(proto: 1, payloadLength: icmp.count) + icmp),
            "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 4660, seq 7, length 8")
        XCTAssertEqual(
            Fixtures.line(Fixtures.ipv4Header(proto: 253, payloadLength: 4) + [1, 2, 3, 4]),
            "IP 10.0.0.1 > 10.0.0.2:  ip-proto-253 4")
    }

    func testEthernetTooShortAndUnknownLinkType() {
        XCTAssertEqual(Fixtures.line([1, 2, 3], linkType: .ethernet), " [|ether]")
        XCTAssertEqual(
            Fixtures.line([1, 2, 3], linkType: LinkType(rawValue: 9999)), "unsupported link-layer type 9999, length 3")
    }

    func testRelativeSequenceNumbersAcrossAConnection() {
        var printer = TcpdumpPrinter()
        func segment(
            _ from: [UInt8], _ to: [UInt8], _ sport: UInt16, _ dport: UInt16, seq: UInt32, ack: UInt32, flags: UInt8,
            payload: Int = 0
        ) -> String {
            let tcp = Fixtures.tcpHeader(sourcePort: sport, destinationPort: dport, seq: seq, ack: ack, flags: flags)
            let packet =
                Fixtures.ipv4Header(proto: 6, payloadLength: tcp.count + payload, source: from, destination: to) + tcp
                + [UInt8](repeating: 0x41, count: payload)
            return Fixtures.line(packet, printer: &printer)
        }
        let client: [UInt8] = [10, 0, 0, 1], server: [UInt8] = [10, 0, 0, 2]
        _ = segment(client, server, 40000, 80, seq: 1000, ack: 0, flags: 0x02)
        XCTAssertTrue(
            segment(server, client, 80, 40000, seq: 9000, ack: 1001, flags: 0x12).contains("seq 9000, ack 1001"))
        XCTAssertTrue(segment(client, server, 40000, 80, seq: 1001, ack: 9001, flags: 0x10).contains("ack 1, win"))
        XCTAssertTrue(
            segment(client, server, 40000, 80, seq: 1001, ack: 9001, flags: 0x18, payload: 5)
                .contains("seq 1:6, ack 1, win"))
    }

    func testNarratorTellsTheHandshake() {
        var narrator = HandshakeNarrator()
        let syn = TCPSegment(
            sourceAddress: .v4(0x0A00_0001), destinationAddress: .v4(0x0A00_0002), sourcePort: 40000,
            destinationPort: 80, flags: 0x02,
            sequence: 1000, acknowledgment: 0, window: 100, payload: [])
        XCTAssertTrue(narrator.narrate(syn).hasPrefix("client 10.0.0.1:40000 opens a connection"))
        var synAck = syn
        (synAck.sourceAddress, synAck.destinationAddress, synAck.sourcePort, synAck.destinationPort) = (
            .v4(0x0A00_0002), .v4(0x0A00_0001), 80, 40000
        )
        synAck.flags = 0x12
        XCTAssertTrue(narrator.narrate(synAck).hasPrefix("server 10.0.0.2:80 accepts"))
    }
}
