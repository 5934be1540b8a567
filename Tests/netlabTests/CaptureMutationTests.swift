import Foundation
import Labs
import XCTest

/// Real captures with one frame taken out: a content check must fail exactly when the
/// dropped frame carried bytes of the connection it grades (the capture then shows a hole or
/// a stream that stops short), and pass when it carried none (a bare ACK, a SYN's neighbour).
final class CaptureMutationTests: XCTestCase {
    /// A classic little-endian pcap, as `netlab sniff -w` writes: header, then records.
    struct Pcap {
        var header: Data
        var records: [Data]

        init(_ data: Data) throws {
            let bytes = [UInt8](data)
            guard bytes.count >= 24, bytes[0..<4] == [0xD4, 0xC3, 0xB2, 0xA1] else {
                throw CocoaError(.fileReadCorruptFile)
            }
            header = data.prefix(24)
            records = []
            var offset = 24
            while offset + 16 <= bytes.count {
                let captured =
                    Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10]) << 16
                    | Int(bytes[offset + 11]) << 24
                guard offset + 16 + captured <= bytes.count else { break }
                records.append(Data(bytes[offset..<(offset + 16 + captured)]))
                offset += 16 + captured
            }
        }

        /// TCP payload bytes of a record, read by hand (Ethernet, IPv4): the test's own
        /// reading, independent of netlab's decoder.
        func tcpPayload(_ index: Int) -> Int {
            let frame = [UInt8](records[index].dropFirst(16))
            guard frame.count >= 34, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6 else { return 0 }
            let ihl = Int(frame[14] & 0x0F) * 4
            let total = Int(frame[16]) << 8 | Int(frame[17])
            guard frame.count >= 14 + ihl + 13 else { return 0 }
            let offset = Int(frame[14 + ihl + 12] >> 4) * 4
            return max(0, total - ihl - offset)
        }

        func without(_ index: Int) -> Data {
            var data = header
            for (i, record) in records.enumerated() where i != index { data.append(record) }
            return data
        }
    }

    /// TCP flags and ports of a record (0s when it is not TCP over IPv4 on Ethernet).
    func tcpHeader(_ pcap: Pcap, _ index: Int) -> (flags: UInt8, source: Int, destination: Int) {
        let frame = [UInt8](pcap.records[index].dropFirst(16))
        guard frame.count >= 34, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6 else { return (0, 0, 0) }
        let tcp = 14 + Int(frame[14] & 0x0F) * 4
        guard frame.count >= tcp + 14 else { return (0, 0, 0) }
        return (
            frame[tcp + 13], Int(frame[tcp]) << 8 | Int(frame[tcp + 1]), Int(frame[tcp + 2]) << 8 | Int(frame[tcp + 3])
        )
    }

    /// Content checks: they must fail exactly when the dropped frame carried TCP payload.
    func dropEachFrame(lesson: Int, check line: String) throws -> (dropped: Int, failed: Int) {
        try dropEachFrame(lesson: lesson, check: line) { pcap, index in pcap.tcpPayload(index) == 0 }
    }

    func dropEachFrame(lesson: Int, check line: String, passesWithout: (Pcap, Int) -> Bool) throws
        -> (dropped: Int, failed: Int)
    {
        let lessons = try Lesson.all(in: LessonTests.lessonsDirectory)
        let capture = try XCTUnwrap(lessons.first { $0.number == lesson }?.bundledCapture)
        let pcap = try Pcap(Data(contentsOf: Harness.root.appendingPathComponent(capture)))
        let check = try XCTUnwrap(Expectation(line: line))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-mutation-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertTrue(check.evaluate(try CaptureFacts.read(Harness.root.appendingPathComponent(capture).path)).passed)
        var failed = 0
        for index in pcap.records.indices {
            let file = directory.appendingPathComponent("drop-\(index).pcap")
            try pcap.without(index).write(to: file)
            let verdict = check.evaluate(try CaptureFacts.read(file.path))
            XCTAssertEqual(
                verdict.passed, passesWithout(pcap, index),
                "lesson \(lesson), frame \(index + 1) (\(pcap.tcpPayload(index)) bytes) dropped: \(verdict.found)")
            if !verdict.passed { failed += 1 }
        }
        return (pcap.records.count, failed)
    }

    func testDroppingAnEchoedOrSentSegmentFailsTheEcho() throws {
        let (dropped, failed) = try dropEachFrame(lesson: 2, check: "expect echoed: x")
        print("\nLESSON 2 MUTATIONS: \(dropped) captures with one frame dropped, \(failed) fail `echoed`")
    }

    func testDroppingAnEchoedSegmentFailsLessonOnesEcho() throws {
        let (dropped, failed) = try dropEachFrame(lesson: 1, check: "expect echoed: x")
        print("\nLESSON 1 MUTATIONS: \(dropped) captures with one frame dropped, \(failed) fail `echoed`")
    }

    /// The refusal is a SYN and the RST answering it: without either, nothing shows a refusal.
    func testDroppingTheRefusalFailsRefused() throws {
        let (dropped, failed) = try dropEachFrame(lesson: 8, check: "expect refused: x") { pcap, index in
            let header = tcpHeader(pcap, index)
            let rst = pcap.records.indices.first { tcpHeader(pcap, $0).flags & 0x04 != 0 }
            guard let rst else { return true }
            let refusedPort = tcpHeader(pcap, rst).source
            let isRST = index == rst
            let isItsSYN = header.flags & 0x12 == 0x02 && header.destination == refusedPort
            return !isRST && !isItsSYN
        }
        XCTAssertEqual(failed, 2, "the refused connection's SYN and RST")
        print("\nLESSON 8 MUTATIONS: \(dropped) captures with one frame dropped, \(failed) fail `refused`")
    }

    func testDroppingAFileSegmentFailsTheFraming() throws {
        let (dropped, failed) = try dropEachFrame(lesson: 9, check: "expect framed file: x")
        print("\nLESSON 9 MUTATIONS: \(dropped) captures with one frame dropped, \(failed) fail `framed file`")
    }
}
