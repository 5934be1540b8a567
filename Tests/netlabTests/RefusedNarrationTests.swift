import Foundation
import XCTest

/// A SYN answered by RST: nothing listened there, so the server side was CLOSED throughout.
/// `--explain` used to narrate `server LISTEN → CLOSED`, a transition that never happened.
final class RefusedNarrationTests: XCTestCase {
    func testRefusedConnectionHasNoListenToClosedTransition() throws {
        let capture = Harness.root.appendingPathComponent("captures/lesson-08-handshake.pcap").path
        let result = try Harness.run(["sniff", "-r", capture, "--explain"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let reset = try XCTUnwrap(lines.firstIndex { $0.contains("answers the SYN with RST") }, result.stdout)
        let states = lines[(reset + 1)...].first { $0.contains("states:") } ?? ""
        XCTAssertEqual(states.trimmingCharacters(in: .whitespaces), "states: client SYN-SENT → CLOSED")
        XCTAssertFalse(result.stdout.contains("server LISTEN → CLOSED"), result.stdout)
        // The connection that was accepted still shows the server leaving LISTEN.
        XCTAssertTrue(result.stdout.contains("server LISTEN → SYN-RECEIVED"), result.stdout)
    }
}
