import Foundation
import Labs
import TestSupport
import XCTest

/// Inputs the fuzzer (scripts/fuzz.sh, target `lesson`) found in the lesson check-block parser,
/// replayed as ordinary tests, plus seeded generated check lines.
final class LessonFuzzRegressionTests: XCTestCase {
    /// `expect :` trapped: the split at the colon dropped the empty part before it, and the
    /// parser read part 0 of an empty list. Seen while writing the `lesson` target; the fuzzer
    /// found it on its own after 45,406 executions (`fuzzerInput`, a mutated lesson). Inputs as
    /// that target reads them (the markdown bytes).
    static let fuzzerInput =
        "2320362e2048545450206f76657220612072617720736f636b74650a0a232320476f616c0a537065616b204854545020"
        + "77697468206e6f7468696e672062757420612054435020736f636b65742c20616e64207365465553303030202f646576"
        + "2f7572616e646f6d2036202f746d0000000000000047602f6e65646c61622d65786572636973652d626c6f622e62696e"
        + "0a6e65746c6162207365727665722066696c6573202d2d646972202f746d702f6e65746c61622d65786572636973652d"
        + "7265636569766564202d2d706f7274207b706f727474703a2f2f3036332e302e302e313a383030302f6e6f7465732e74"
        + "7830302f6e6f74657353657175656e63652e7478740a6e65746c616220636c69656e74206874747020687474703a6f2f"
        + "3132372e302e302e313a383030302f6e6f70650a6e65746c616220636c69656e74206874747020687474703a2f2f3132"
        + "372e302e302e313a383030302f610a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a657870656374203a0a0a0a0a0a0a0a0a"
        + "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a207b706f72747d0a7072696e74662027474554202f20485454502f312e"
        + "315c725c6e5c725c6e272075656e63652e7478740a6e65656e7420746370203132372e302e302e31207b706f72747d0a"
        + "6060600a"

    func testExpectColonWithoutKind() {
        for hex in ["657870656374203a", "0a606060636865636b0a657870656374203a0a606060", Self.fuzzerInput] {
            let text = String(decoding: Self.bytes(hex: hex), as: UTF8.self)
            let lesson = Lesson(markdown: text, path: "lessons/99-fuzz.md")
            XCTAssertEqual(lesson.expectations, [], hex)
            XCTAssertNil(Expectation(line: text.trimmingCharacters(in: .newlines)), hex)
        }
        XCTAssertNil(Expectation(line: "expect :handshake"), "a hint without a kind")
    }

    /// Seeded: check lines built from the kinds, odd arguments, colons and whitespace parse
    /// back to what was written, lines whose argument the kind cannot use are errors, and lines
    /// without a known kind give nil (never a trap).
    func testGeneratedCheckLines() {
        var generator = SeededGenerator(state: 0xC4EC_4B10)
        let pieces = ["", " ", ":", "::", "\t", "404", "GET /", "expect", "é", "\u{0}"]
        var parsed = 0, refused = 0
        for _ in 0..<5000 {
            let kind = Expectation.Kind.allCases.randomElement(using: &generator)!
            let argument = ["", "2", "GET /x", "Content-Type", "GET / 200", "file"].randomElement(using: &generator)!
            let hint = (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                pieces.randomElement(using: &generator)!
            }.joined()
            let line = "expect \(kind.rawValue)\(argument.isEmpty ? "" : " " + argument): \(hint)"
            // An argument the kind cannot use is an error with a reason, never a check.
            let usable =
                Expectation(kind: kind, argument: argument.isEmpty ? nil : argument, hint: "").argumentProblem == nil
            if !usable {
                XCTAssertNil(Expectation(line: line), line.debugDescription)
                XCTAssertNotNil(Expectation.problem(line: line), line.debugDescription)
                refused += 1
                continue
            }
            guard let expectation = Expectation(line: line) else {
                XCTFail("not parsed: \(line.debugDescription)")
                continue
            }
            XCTAssertEqual(expectation.kind, kind, line.debugDescription)
            XCTAssertEqual(expectation.argument, argument.isEmpty ? nil : argument, line.debugDescription)
            XCTAssertEqual(expectation.hint, hint.trimmingCharacters(in: .whitespaces), line.debugDescription)
            parsed += 1
            // The same line with the kind's text broken never parses.
            let broken = (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                pieces.randomElement(using: &generator)!
            }.joined()
            XCTAssertNil(Expectation(line: "expect \(broken)\(kind.rawValue)x: \(hint)"), broken.debugDescription)
        }
        XCTAssertEqual(parsed + refused, 5000)
        XCTAssertGreaterThan(parsed, 1000)
        XCTAssertGreaterThan(refused, 1000)
    }

    static func bytes(hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map {
            let start = hex.index(hex.startIndex, offsetBy: $0)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }
}
