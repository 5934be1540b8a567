import XCTest

@testable import Inspect

final class WireTests: XCTestCase {
    func testByteViewNeverReadsPastTheEnd() {
        ByteView.with([1, 2, 3]) { view in
            XCTAssertEqual(view.u8(2), 3)
            XCTAssertNil(view.u8(3))
            XCTAssertNil(view.u8(-1))
            XCTAssertEqual(view.be16(1), 0x0203)
            XCTAssertNil(view.be16(2))
            XCTAssertNil(view.be32(0))
            XCTAssertEqual(view.dropFirst(10).count, 0)
            XCTAssertEqual(view.prefix(-4).count, 0)
            XCTAssertFalse(view.has(2, 2))
            XCTAssertFalse(view.has(Int.max, 1))
        }
    }

    func testChecksumOfRFC1071Example() {
        // RFC 1071 §3: the one's-complement sum of 0001 f203 f4f5 f6f7 is ddf2, checksum 220d.
        ByteView.with([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]) { view in
            XCTAssertEqual(InternetChecksum.compute(view), 0x220D)
        }
    }

    func testChecksumShouldBeMatchesTcpdump() {
        // From the corpus: cksum 0xfe30 (incorrect -> 0x0953) on a loopback SYN (offloaded checksum).
        let computed = InternetChecksum.finish(UInt32(0xFE30) + UInt32(~UInt16(0x0953)))
        XCTAssertEqual(InternetChecksum.shouldBe(field: 0xFE30, computed: computed), 0x0953)
    }

    func testIPv6TextFollowsRFC5952() {
        func text(_ words: [UInt16]) -> String {
            var bytes: [UInt8] = []
            for word in words { bytes += [UInt8(word >> 8), UInt8(word & 0xFF)] }
            var out = TextBuffer()
            ByteView.with(bytes) { out.append(ipv6: $0) }
            return out.string
        }
        XCTAssertEqual(text([0, 0, 0, 0, 0, 0, 0, 1]), "::1")
        XCTAssertEqual(text([0, 0, 0, 0, 0, 0, 0, 0]), "::")
        XCTAssertEqual(text([0x2001, 0xDB8, 0, 0, 1, 0, 0, 1]), "2001:db8::1:0:0:1")
        XCTAssertEqual(text([0x2001, 0xDB8, 1, 0, 0xA00, 0x27FF, 0xFEF4, 0x4DCF]), "2001:db8:1:0:a00:27ff:fef4:4dcf")
        XCTAssertEqual(text([0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 1]), "::ffff:127.0.0.1")
        XCTAssertEqual(text([0xFE80, 0, 0, 0, 0, 0, 0, 0]), "fe80::")
    }

    func testTextBufferNumbers() {
        var out = TextBuffer()
        out.append(decimal: 0)
        out.append(" ")
        out.append(decimal: UInt64.max)
        out.append(" ")
        out.append(hex: 0xABC, minDigits: 4)
        out.append(" ")
        out.append(zeroPadded: 7, width: 6)
        out.append(" ")
        out.append(-12)
        XCTAssertEqual(out.string, "0 18446744073709551615 0abc 000007 -12")
    }

    func testRelativeSequenceFollowsTcpdumpRule() {
        var table = RelativeSequenceTable()
        let a: [UInt8] = [10, 0, 0, 1], b: [UInt8] = [10, 0, 0, 2]
        ByteView.with(a) { a in
            ByteView.with(b) { b in
                // SYN-ACK from server port 80 to client port 40000: the first ACK-bearing segment records bases.
                let synAck = table.adjust(
                    source: b, destination: a, sourcePort: 80, destinationPort: 40000, seq: 5000, ack: 1001,
                    isSYN: true)
                XCTAssertEqual(synAck.seq, 5000)
                XCTAssertEqual(synAck.ack, 1001)
                let ack = table.adjust(
                    source: a, destination: b, sourcePort: 40000, destinationPort: 80, seq: 1001, ack: 5001,
                    isSYN: false)
                XCTAssertEqual(ack.seq, 1)
                XCTAssertEqual(ack.ack, 1)
            }
        }
        XCTAssertEqual(table.count, 1)
    }
}
