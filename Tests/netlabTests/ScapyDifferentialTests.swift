import Foundation
import XCTest

/// The same comparison as GeneratedDifferentialTests, on packets that scapy's own layer code
/// builds (`scripts/scapy-packets.py`): random field values, option lists and extension chains,
/// with lengths, checksums and encodings from scapy, an implementation independent of netlab's
/// generator. Every record of `tcpdump -nn` and `-nn -v` must equal netlab's, except the
/// reviewed known differences; the counts are printed per class.
///
/// Longer run: `NETLAB_SCAPY_PACKETS=50000 NETLAB_SEED=7 swift test --skip-build --filter ScapyDifferentialTests`.
final class ScapyDifferentialTests: XCTestCase {
    func testScapyBuiltPacketsMatchTcpdump() throws {
        guard let tcpdump = DifferentialTests.tcpdumpPath() else {
            throw XCTSkip("SKIPPED: tcpdump is not installed (scripts/setup.sh installs it for the tests)")
        }
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["NETLAB_TEST_PYTHON"], FileManager.default.isExecutableFile(atPath: python)
        else {
            throw XCTSkip(
                "SKIPPED: NETLAB_TEST_PYTHON is not set (scapy lives in the test venv: scripts/setup.sh --python "
                    + ".build/test-venv, then export NETLAB_TEST_PYTHON=$PWD/.build/test-venv/bin/python)")
        }
        let packets = Int(environment["NETLAB_SCAPY_PACKETS"] ?? "") ?? 4_500
        let seed = Int(environment["NETLAB_SEED"] ?? "") ?? 1
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "netlab-scapy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = Harness.root.appendingPathComponent("scripts/scapy-packets.py").path
        let (status, _, err) = try Harness.runProcess(
            URL(fileURLWithPath: python),
            [script, "--seed", "\(seed)", "--packets", "\(packets)", "--out", directory.path], timeout: 600)
        XCTAssertEqual(status, 0, "scapy-packets.py: " + String(decoding: err, as: UTF8.self))
        guard status == 0 else { return }

        let result = try GeneratedDifferentialTests.compare(directory: directory, tcpdump: tcpdump)
        print("\nSCAPY-BUILT vs installed tcpdump (seed \(seed), " + result.text)
        XCTAssertGreaterThanOrEqual(result.packets, packets, "scapy-packets.py wrote fewer packets than asked")
        XCTAssertEqual(
            result.unexplained, 0, "lines differ from tcpdump with no reviewed explanation (listed above)")
    }
}
