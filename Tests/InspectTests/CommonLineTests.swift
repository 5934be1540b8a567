import Foundation
import TestSupport
import XCTest

@testable import Inspect

/// The common Ethernet/IPv4/TCP line's fast path against the general printer: the same
/// generated packet sequences (conversations from a few hosts in both directions, so relative
/// sequence numbers and the endpoint cache are used, and every field near its edges: header
/// lengths, total lengths that lie, fragments, cut captures, option lists one byte off the
/// ones the fast path knows, the ports with text decoders) printed by a printer with the fast
/// path and one without must give identical lines. NETLAB_COMMON_LINE_PACKETS sets the count.
final class CommonLineTests: XCTestCase {
    struct Generator {
        var random: SeededGenerator
        let hosts: [[UInt8]] = [[127, 0, 0, 1], [10, 0, 0, 2], [192, 168, 1, 255], [8, 8, 8, 8], [0, 0, 0, 0]]
        let ports: [UInt16] = [80, 8080, 22, 23, 25, 443, 40000, 54321, 65535, 0, 10288, 8554]

        mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
        mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
        mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(int(0...255)) } }
        static func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        static func be32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(value >> UInt32($0) & 0xFF) } }

        mutating func options() -> [UInt8] {
            var list: [UInt8]
            switch int(0...5) {
            case 0: list = []
            case 1, 2: list = [1, 1, 8, 10] + bytes(8)
            case 3: list = [2, 4] + bytes(2) + [4, 2, 8, 10] + bytes(8) + [1, 3, 3, UInt8(int(0...14))]
            case 4: list = [1, 1, 5, 10] + bytes(8)
            default: list = bytes(4 * int(0...10))
            }
            // One byte off the known lists now and then (another kind, length or order).
            if !list.isEmpty && chance(15) { list[int(0...list.count - 1)] = UInt8(int(0...12)) }
            return list
        }

        /// One frame and its wire length.
        mutating func frame(client: Int, server: Int, clientPort: UInt16, serverPort: UInt16, seq: inout [UInt32])
            -> ([UInt8], Int)
        {
            let fromClient = chance(50)
            let source = fromClient ? hosts[client] : hosts[server]
            let destination = fromClient ? hosts[server] : hosts[client]
            let ports = fromClient ? (clientPort, serverPort) : (serverPort, clientPort)
            var options = options()
            while options.count % 4 != 0 { options.append(1) }
            let payload = chance(50) ? [] : bytes(int(0...300))
            var flags = UInt8(chance(80) ? 0x10 : 0) | UInt8(int(0...255)) & (chance(30) ? 0xFF : 0x0B)
            if chance(5) { flags = UInt8(int(0...255)) }
            let index = fromClient ? 0 : 1
            seq[index] &+= UInt32(int(0...2000))
            var tcp =
                Self.be16(Int(ports.0)) + Self.be16(Int(ports.1)) + Self.be32(seq[index]) + Self.be32(seq[1 - index])
            var offset = (20 + options.count) / 4
            if chance(3) { offset = int(0...15) }
            tcp += [UInt8(offset << 4 | (chance(5) ? 1 : 0)), flags] + bytes(2) + bytes(2) + bytes(2)
            tcp += options + payload
            var ip: [UInt8] = [0x45, 0]
            var total = 20 + tcp.count
            if chance(3) { total = int(0...total + 40) }
            ip += Self.be16(total) + bytes(2)
            ip += chance(5) ? [UInt8(int(0...255)) & 0x3F | (chance(50) ? 0x40 : 0), UInt8(int(0...255))] : [0x40, 0]
            ip += [64, chance(3) ? UInt8(int(0...255)) : 6] + bytes(2) + source + destination
            if chance(3) { ip[0] = UInt8(int(0x40...0x4F)) }
            if chance(2) { ip[0] = 0x65 }
            var ethernet = bytes(12) + (chance(3) ? [0x81, 0x00, 0, 1, 0x08, 0x00] : [0x08, 0x00])
            if chance(2) { ethernet[13] = 0x06 }
            var frame = ethernet + ip + tcp
            if chance(5) { frame += bytes(int(1...20)) }  // Ethernet padding
            var wire = frame.count
            if chance(5) { frame = Array(frame.prefix(int(0...frame.count))) }  // cut by the snap length
            if chance(3) { wire = int(0...wire + 10) }
            return (frame, wire)
        }
    }

    func testFastPathPrintsWhatTheGeneralPathPrints() {
        let count = Int(ProcessInfo.processInfo.environment["NETLAB_COMMON_LINE_PACKETS"] ?? "") ?? 60_000
        var generator = Generator(random: SeededGenerator(state: 2026))
        var fast = TcpdumpPrinter()
        var general = TcpdumpPrinter()
        general.commonLine = false
        var fastLines = TextBuffer(), generalLines = TextBuffer()
        var differences: [String] = []
        var differing = 0
        var conversation = (client: 0, server: 1, ports: (UInt16(40000), UInt16(80)), seq: [UInt32(1), UInt32(2)])
        for index in 0..<count {
            if index % 12 == 0 {
                conversation.client = generator.int(0...generator.hosts.count - 1)
                conversation.server = generator.int(0...generator.hosts.count - 1)
                conversation.ports = (
                    generator.chance(50)
                        ? UInt16(generator.int(1024...65535))
                        : generator.ports.randomElement(using: &generator.random)!,
                    generator.ports.randomElement(using: &generator.random)!
                )
                conversation.seq = [
                    UInt32(generator.int(0...Int(UInt32.max))), UInt32(generator.int(0...Int(UInt32.max))),
                ]
            }
            let (frame, wire) = generator.frame(
                client: conversation.client, server: conversation.server, clientPort: conversation.ports.0,
                serverPort: conversation.ports.1, seq: &conversation.seq)
            let seconds = Int64(1_700_000_000 + index / 1000), micros = index % 1000 * 997
            fastLines.removeAll()
            generalLines.removeAll()
            frame.withUnsafeBytes { raw in
                fast.print(
                    ByteView(raw), wireLength: wire, linkType: .ethernet, seconds: seconds, microseconds: micros,
                    into: &fastLines)
                general.print(
                    ByteView(raw), wireLength: wire, linkType: .ethernet, seconds: seconds, microseconds: micros,
                    into: &generalLines)
            }
            if fastLines.string != generalLines.string {
                differing += 1
            }
            if fastLines.string != generalLines.string && differences.count < 10 {
                differences.append(
                    "packet \(index) \(frame):\n  fast:    \(fastLines.string)  general: \(generalLines.string)")
            }
        }
        print(
            "COMMON LINE \(count) generated packets, \(fast.commonLinesWritten) by the fast path: \(differing) differ")
        XCTAssert(differences.isEmpty, differences.joined(separator: "\n"))
        // The generator must reach both paths often.
        XCTAssertGreaterThan(fast.commonLinesWritten, count / 5)
        XCTAssertLessThan(fast.commonLinesWritten, count * 4 / 5)
        XCTAssertEqual(general.commonLinesWritten, 0)
    }

    /// The fast path leaves segments to or from a port with a text decoder to the general
    /// path: every port whose payload `printTCPApplication` would print must be on its list.
    func testEveryPortWithATextDecoderIsLeftToTheGeneralPath() {
        var printer = TcpdumpPrinter()
        var missing: [UInt16] = []
        for port in UInt16.min...UInt16.max where !TcpdumpPrinter.hasTextDecoder(port) {
            for text in ["GET / HTTP/1.0\r\n", "SSH-2.0-netlab\r\n", "220 ready\r\n", "RTSP/1.0 200 OK\r\n"] {
                var out = TextBuffer()
                let bytes = Array(text.utf8)
                bytes.withUnsafeBytes { raw in
                    try? printer.printTCPApplication(
                        ByteView(raw), length: bytes.count, sourcePort: port, destinationPort: 50_000, into: &out)
                }
                if out.count > 0 {
                    missing.append(port)
                    break
                }
            }
        }
        XCTAssertEqual(missing, [])
    }
}
