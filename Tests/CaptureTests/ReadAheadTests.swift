import Capture
import Foundation
import TestSupport
import XCTest

/// Reading a file ahead on a second thread (the default) against reading it in place with
/// `pcap_dispatch` (the reference): generated files of every shape — empty, a packet per batch
/// boundary, packets larger than a batch, cut in the middle of a record — read with count
/// limits, filters and handlers that stop early must give the same packets, the same stop
/// reason and the same error. NETLAB_READ_AHEAD_FILES sets the number of files (default 200).
final class ReadAheadTests: XCTestCase {
    struct Seen: Equatable {
        var packets: [[Int]] = []
        var outcome = ""
    }

    func read(_ path: String, ahead: Bool, count: Int, stopAfter: Int?, filter: String?) -> Seen {
        var seen = Seen()
        do {
            let handle = try CaptureHandle.file(path)
            handle.readsAhead = ahead
            if let filter { try handle.setFilter(filter) }
            var batches = 0
            let stop = try handle.forEach(
                count: count,
                batchEnded: {
                    batches += 1; return true
                }
            ) { packet in
                var hasher = Hasher()
                hasher.combine(bytes: packet.bytes)
                let checksum = hasher.finalize()
                seen.packets.append([
                    Int(packet.seconds), packet.fraction, packet.captureLength, packet.wireLength, packet.bytes.count,
                    checksum,
                ])
                return seen.packets.count != stopAfter
            }
            seen.outcome = "\(stop)"
        } catch {
            seen.outcome = "error: \(error)"
        }
        return seen
    }

    func testReadingAheadGivesWhatReadingInPlaceGives() throws {
        let files = Int(ProcessInfo.processInfo.environment["NETLAB_READ_AHEAD_FILES"] ?? "") ?? 200
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-readahead-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var generator = SeededGenerator(state: 12)
        let pattern = (0..<201_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var totals = (packets: 0, cut: 0, errors: 0, stopped: 0, differences: 0)
        for index in 0..<files {
            let path = directory.appendingPathComponent("\(index).pcap").path
            // Sizes around the batch limits: empty files, a few packets, thousands of small
            // ones (more than a batch holds), and some larger than a whole batch of bytes.
            let shape = index % 4
            let count =
                shape == 0 ? Int.random(in: 0...3, using: &generator) : Int.random(in: 1...6000, using: &generator)
            do {
                let writer = try CaptureWriter(path: path, linkType: 1)
                for packet in 0..<count {
                    let big = shape == 3 && Int.random(in: 0..<500, using: &generator) == 0
                    let length =
                        big
                        ? Int.random(in: 65_536...200_000, using: &generator)
                        : Int.random(in: 0...1600, using: &generator)
                    let start = Int.random(in: 0..<1000, using: &generator)
                    var bytes = Array(pattern[start..<start + length])
                    if length >= 14 {
                        // EtherType for the filter: half ARP, half IPv4.
                        bytes[12] = 0x08
                        bytes[13] = packet % 2 == 0 ? 0x06 : 0x00
                    }
                    bytes.withUnsafeBytes { raw in
                        writer.write(
                            CapturedPacket(
                                seconds: 1_700_000_000 + Int64(packet / 100), fraction: packet % 1_000_000,
                                captureLength: raw.count,
                                wireLength: raw.count + Int.random(in: 0...3, using: &generator),
                                bytes: raw))
                    }
                }
                writer.flush()
            }
            // A third of the files end in the middle of a record: libpcap reports the cut.
            if index % 3 == 1, count > 0 {
                let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
                let cut = Int.random(in: 25..<size, using: &generator)
                try FileHandle(forWritingTo: URL(fileURLWithPath: path)).truncate(atOffset: UInt64(cut))
                totals.cut += 1
            }
            let limit =
                Int.random(in: 0...3, using: &generator) == 0 ? Int.random(in: 1...count + 1, using: &generator) : 0
            let stopAfter =
                Int.random(in: 0...3, using: &generator) == 0 ? Int.random(in: 1...count + 1, using: &generator) : nil
            let filter = Int.random(in: 0...3, using: &generator) == 0 ? "arp" : nil
            let reference = read(path, ahead: false, count: limit, stopAfter: stopAfter, filter: filter)
            let ahead = read(path, ahead: true, count: limit, stopAfter: stopAfter, filter: filter)
            XCTAssertEqual(ahead.outcome, reference.outcome, "file \(index)")
            XCTAssertEqual(ahead.packets.count, reference.packets.count, "file \(index)")
            XCTAssert(ahead.packets == reference.packets, "file \(index): packets differ")
            if ahead != reference { totals.differences += 1 }
            totals.packets += reference.packets.count
            if reference.outcome.hasPrefix("error") { totals.errors += 1 }
            if reference.outcome == "handlerStopped" { totals.stopped += 1 }
        }
        print(
            "READ-AHEAD \(files) files, \(totals.packets) packets read both ways, \(totals.cut) cut mid-record "
                + "(\(totals.errors) errors), \(totals.stopped) stopped by the handler: \(totals.differences) differ"
        )
        XCTAssertGreaterThan(totals.errors, 0)
        XCTAssertGreaterThan(totals.stopped, 0)
    }
}
