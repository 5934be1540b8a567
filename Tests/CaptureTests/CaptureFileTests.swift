import Capture
import Foundation
import XCTest

final class CaptureFileTests: XCTestCase {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("netlab-\(UUID())-\(name)").path
    }

    func testWriteThenReadBack() throws {
        let path = temporaryPath("roundtrip.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let payload: [UInt8] = Array(0..<60)
        do {
            let writer = try CaptureWriter(path: path, linkType: 1)
            payload.withUnsafeBytes { raw in
                for index in 0..<3 {
                    writer.write(
                        CapturedPacket(
                            seconds: 1_700_000_000 + Int64(index), fraction: 250, captureLength: raw.count,
                            wireLength: 100, bytes: raw))
                }
            }
            writer.flush()
            XCTAssertEqual(writer.packetsWritten, 3)
        }
        let handle = try CaptureHandle.file(path)
        XCTAssertEqual(handle.linkType, 1)
        var seen: [(Int64, Int, Int, [UInt8])] = []
        let stop = try handle.forEach { packet in
            seen.append((packet.seconds, packet.fraction, packet.wireLength, Array(packet.bytes)))
            return true
        }
        XCTAssertEqual(stop, .endOfFile)
        XCTAssertEqual(seen.count, 3)
        XCTAssertEqual(seen[2].0, 1_700_000_002)
        XCTAssertEqual(seen[0].1, 250)
        XCTAssertEqual(seen[0].2, 100)
        XCTAssertEqual(seen[0].3, payload)
    }

    func testCountAndFilter() throws {
        let path = temporaryPath("filter.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let writer = try CaptureWriter(path: path, linkType: 1)
            for type: [UInt8] in [[0x08, 0x06], [0x86, 0xDD], [0x08, 0x06]] {
                let frame = [UInt8](repeating: 0xFF, count: 12) + type + [UInt8](repeating: 0, count: 46)
                frame.withUnsafeBytes { raw in
                    writer.write(
                        CapturedPacket(
                            seconds: 0, fraction: 0, captureLength: raw.count, wireLength: raw.count, bytes: raw))
                }
            }
        }
        let filtered = try CaptureHandle.file(path)
        try filtered.setFilter("arp")
        var count = 0
        _ = try filtered.forEach { _ in
            count += 1
            return true
        }
        XCTAssertEqual(count, 2)
        let limited = try CaptureHandle.file(path)
        var limitedCount = 0
        XCTAssertEqual(
            try limited.forEach(count: 1) { _ in
                limitedCount += 1; return true
            }, .countReached)
        XCTAssertEqual(limitedCount, 1)
    }

    func testErrorsAreTyped() throws {
        XCTAssertThrowsError(try CaptureHandle.file("/nonexistent/netlab.pcap")) { error in
            XCTAssertEqual(error as? CaptureError, .fileNotFound("/nonexistent/netlab.pcap"))
        }
        let path = temporaryPath("not-a-capture.txt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CaptureHandle.file(path)) { error in
            guard case .unreadableFile = error as? CaptureError else { return XCTFail("got \(error)") }
        }
        let writerPath = temporaryPath("f.pcap")
        defer { try? FileManager.default.removeItem(atPath: writerPath) }
        _ = try CaptureWriter(path: writerPath, linkType: 1)
        let handle = try CaptureHandle.file(writerPath)
        XCTAssertThrowsError(try handle.setFilter("tcp port")) { error in
            guard case .badFilter = error as? CaptureError else { return XCTFail("got \(error)") }
        }
    }
}
