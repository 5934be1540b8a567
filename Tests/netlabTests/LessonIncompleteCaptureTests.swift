import Foundation
import XCTest

/// A capture that missed packets must not be graded as the programs' failure: when the receiver
/// acknowledged bytes the capture never showed (the capturer dropped them; the network never
/// acknowledges what it lost), `lesson check` says "capture incomplete" and to record again.
final class LessonIncompleteCaptureTests: XCTestCase {
    /// A classic pcap as records (header kept), so frames can be left out.
    struct Pcap {
        var header: Data
        var records: [Data]

        init(_ data: Data) throws {
            guard data.count >= 24 else { throw HarnessError("not a pcap") }
            header = data.prefix(24)
            records = []
            var offset = 24
            let little = data[0] == 0xD4
            while offset + 16 <= data.count {
                let bytes = [UInt8](data[(offset + 8)..<(offset + 12)])
                let caplen =
                    little
                    ? Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
                    : Int(bytes[3]) | Int(bytes[2]) << 8 | Int(bytes[1]) << 16 | Int(bytes[0]) << 24
                records.append(data[offset..<min(data.count, offset + 16 + caplen)])
                offset += 16 + caplen
            }
        }

        func without(_ index: Int) -> Data {
            var out = header
            for (position, record) in records.enumerated() where position != index { out.append(record) }
            return out
        }
    }

    func testDroppedDataFramesAreReportedAsAnIncompleteCapture() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-incomplete-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var checkedFrames = 0
        for (lesson, name) in [(2, "lesson-02-echo.pcap"), (9, "lesson-09-framing.pcap"), (3, "lesson-03-http.pcap")] {
            let path = Harness.root.appendingPathComponent("captures/\(name)").path
            let whole = try Harness.run(["lesson", "check", "\(lesson)", path])
            XCTAssertEqual(whole.status, 0, whole.stdout)
            XCTAssertFalse(whole.stdout.contains("capture incomplete"), whole.stdout)
            let pcap = try Pcap(Data(contentsOf: URL(fileURLWithPath: path)))
            // Frames that carry TCP payload, from netlab's own printout of the capture.
            let lines = try Harness.run(["sniff", "-r", path]).stdout.split(separator: "\n")
            XCTAssertEqual(lines.count, pcap.records.count)
            for (index, line) in lines.enumerated() {
                guard line.contains("Flags ["), let range = line.range(of: ", length ", options: .backwards),
                    let length = Int(line[range.upperBound...].prefix { $0.isNumber }), length > 0
                else { continue }
                let cut = directory.appendingPathComponent("\(lesson)-\(index).pcap")
                try pcap.without(index).write(to: cut)
                let result = try Harness.run(["lesson", "check", "\(lesson)", cut.path])
                // Every data segment here is acknowledged by its receiver, so leaving one out of
                // the capture always shows as acknowledged-but-unseen bytes.
                XCTAssertTrue(
                    result.stdout.contains("⚠ capture incomplete: in stream"),
                    "lesson \(lesson) without frame \(index + 1): \(result.stdout)")
                XCTAssertTrue(result.stdout.contains("record again"), result.stdout)
                checkedFrames += 1
            }
        }
        print(
            "INCOMPLETE CAPTURES: \(checkedFrames) captures with one data frame left out, each reported as capture incomplete"
        )
        XCTAssertGreaterThan(checkedFrames, 10)
    }
}
