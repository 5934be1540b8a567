import Foundation
import XCTest

@testable import Inspect

/// HTTP by content, malformed messages (reason, rule, stream offset and frame), and the
/// warnings lenient mode gives for what a strict server refuses.
final class HTTPMalformedTests: XCTestCase {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func testWhatStartsLikeHTTP() {
        let cases: [(String, HTTPStart)] = [
            ("GET / HTTP/1.1\r\n", .http(.request)),
            ("SEARCH /x HTTP/1.1\r\n", .http(.request)),
            ("QUERY ", .http(.request)),
            ("FOO /x HTTP/1.1\r\n", .http(.request)),
            ("get /x HTTP/1.1\r\n", .http(.request)),
            ("GET me a coffee\n", .http(.request)),
            ("\r\n\nGET /", .http(.request)),
            ("HTTP/1.1 200 OK\r\n", .http(.response)),
            ("HTTP/9 what", .http(.response)),
            ("hello world\n", .notHTTP),
            ("FOO /x HTPT/1.1\r\n", .notHTTP),
            ("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n", .notHTTP),
            ("\u{16}\u{3}\u{1}\u{2}", .notHTTP),
            ("HTT", .undecided),
            ("FOO /x HT", .undecided),
            ("\r\n", .undecided),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(HTTPStart.classify(bytes(text)), expected, text.debugDescription)
        }
    }

    /// More bytes never change a decision: a prefix is undecided or decided the same way.
    func testClassificationIsMonotonicOverGeneratedStreams() {
        var generator = HTTPCaseGenerator(seed: 11)
        var random = HTTPCaseGenerator.Random(state: 12)
        var decided = 0
        for index in 0..<3000 {
            let stream = generator.nextCase(index: index).bytes
            let full = HTTPStart.classify(stream)
            if full != .undecided { decided += 1 }
            let prefix = Array(stream.prefix(random.below(stream.count + 1)))
            let partial = HTTPStart.classify(prefix)
            XCTAssertTrue(partial == .undecided || partial == full, "\(String(decoding: prefix, as: UTF8.self))")
        }
        XCTAssertGreaterThan(decided, 2500)
    }

    func conversation(_ pieces: [(TCPRole, String)]) -> [HTTPConversation.Message] {
        var conversation = HTTPConversation(stream: 0)
        var messages: [HTTPConversation.Message] = []
        for (index, (role, text)) in pieces.enumerated() {
            messages += conversation.add(bytes(text), role: role, frame: 10 + index)
        }
        return messages + conversation.finish(frame: 99)
    }

    func testABrokenFirstHeadIsReportedWithRuleOffsetAndFrame() throws {
        // The bad byte (NUL) arrives in the second frame of the head.
        let messages = conversation([(.client, "GET / HTTP/1.1\r\nHost: a"), (.client, "\0b\r\n\r\n")])
        let message = try XCTUnwrap(messages.first)
        XCTAssertEqual(messages.count, 1)
        XCTAssertTrue(message.isMalformed)
        XCTAssertEqual(message.error?.kind, .badFieldValue)
        XCTAssertEqual(message.error?.rule, "RFC 9110 §5.5")
        XCTAssertEqual(message.error?.offset, 23)
        XCTAssertEqual(message.errorFrame, 11)
        XCTAssertEqual(message.head?.target, "/")  // what was read before the error
        XCTAssertEqual(message.firstFrame, 10)
    }

    func testABrokenStartLineAndABrokenResponseAreReported() throws {
        let request = try XCTUnwrap(conversation([(.client, "GET / HTPT/1.1\r\n\r\n")]).first)
        XCTAssertNil(request.head)
        XCTAssertEqual(request.kind, .request)
        XCTAssertEqual(request.error?.kind, .badVersion)
        XCTAssertEqual(request.error?.offset, 6)
        XCTAssertEqual(request.error?.rule, "RFC 9112 §2.3")
        let response = try XCTUnwrap(
            conversation([(.client, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"), (.server, "HTTP/1.1 2000 OK\r\n\r\n")])
                .first { $0.kind == .response })
        XCTAssertEqual(response.error?.kind, .badStatus)
        XCTAssertEqual(response.error?.offset, 9)
        XCTAssertEqual(response.errorFrame, 11)
        // A later message breaks: the earlier one stays complete, the broken one is reported.
        let pipelined = conversation([(.client, "GET /a HTTP/1.1\r\nHost: a\r\n\r\nG(T /b HTTP/1.1\r\n\r\n")])
        XCTAssertEqual(pipelined.map(\.isMalformed), [false, true])
        XCTAssertEqual(pipelined[1].error?.kind, .badMethod)
        XCTAssertEqual(pipelined[1].error?.offset, 29)
        XCTAssertEqual(pipelined[1].error?.line, bytes("G("))
    }

    func testNonHTTPIsNeverMalformed() {
        XCTAssertTrue(conversation([(.client, "SSH-2.0-OpenSSH_9.6 x\r\n"), (.server, "SSH-2.0-x\r\n")]).isEmpty)
        XCTAssertTrue(conversation([(.client, "hello world\n"), (.server, "hello world\n")]).isEmpty)
    }

    func testLenientWarningsNameTheStrictRule() throws {
        let cases: [(String, HTTPParseError.Kind, Int)] = [
            ("GET / HTTP/1.1\nHost: x\n\n", .bareLF, 14),
            ("GET / HTTP/1.1\r\nA: b\r\n c\r\nHost: x\r\n\r\n", .obsoleteLineFolding, 22),
            ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", .whitespaceBeforeColon, 20),
            (
                "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                .contentLengthWithTransferEncoding, 17
            ),
            ("GET /\r\n\r\n", .missingVersion, 5),
        ]
        for (text, kind, offset) in cases {
            let message = try XCTUnwrap(conversation([(.client, text)]).first, text.debugDescription)
            XCTAssertFalse(message.isMalformed, text.debugDescription)
            XCTAssertEqual(message.warnings.map(\.warning.kind), [kind], text.debugDescription)
            XCTAssertEqual(message.warnings.first?.warning.offset, offset, text.debugDescription)
            XCTAssertEqual(message.warnings.first?.frame, 10)
            XCTAssertEqual(HTTPParser.strictError(text)?.kind, kind, "strict mode refuses it: \(text.debugDescription)")
        }
        // Data after Connection: close belongs to the message that follows it.
        let messages = conversation([
            (.client, "GET /a HTTP/1.1\r\nConnection: close\r\n\r\n"), (.client, "GET /b HTTP/1.1\r\n\r\n"),
        ])
        XCTAssertEqual(messages.map { $0.head?.target }, ["/a", "/b"])
        XCTAssertEqual(messages[1].warnings.map(\.warning.kind), [.dataAfterClose])
        XCTAssertEqual(messages[1].warnings.first?.frame, 11)
    }

    func testEmptyLinesBeforeAStartLineAreCounted() throws {
        for lenient in [false, true] {
            var parser = HTTPParser(kind: .request, lenient: lenient)
            let events = parser.parse(bytes("\r\n\r\nGET / HTTP/1.1\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n"))
            let heads = events.compactMap { if case .head(let head) = $0 { head } else { nil } }
            XCTAssertEqual(heads.map(\.emptyLinesBefore), [2, 1])
        }
    }

    /// Over generated streams: what strict mode accepts, lenient mode reads the same way without
    /// warnings; what only lenient mode accepts comes with a warning at or before the place
    /// where strict mode stopped.
    func testLenientModeAcceptsMoreOnlyWithAWarning() {
        var generator = HTTPCaseGenerator(seed: 21)
        var warned = 0
        for index in 0..<3000 {
            let generated = generator.nextCase(index: index)
            let kind: HTTPParser.Kind = generated.kind == .request ? .request : .response
            var strict = HTTPParser(kind: kind, lenient: false)
            var lenient = HTTPParser(kind: kind, lenient: true)
            let strictEvents = strict.parse(generated.bytes) + (strict.error == nil ? strict.finish() : [])
            let lenientEvents = lenient.parse(generated.bytes) + (lenient.error == nil ? lenient.finish() : [])
            let warnings = lenient.takeWarnings()
            let text = String(decoding: generated.bytes.prefix(100), as: UTF8.self).debugDescription
            if let error = strict.error {
                guard lenient.error == nil else { continue }
                warned += 1
                XCTAssertFalse(warnings.isEmpty, "lenient accepted without a warning: \(text)")
                XCTAssertLessThanOrEqual(warnings.first?.offset ?? .max, error.offset, text)
            } else {
                XCTAssertEqual(lenientEvents, strictEvents, text)
                XCTAssertEqual(warnings, [], text)
            }
        }
        XCTAssertGreaterThan(warned, 100)
    }

    func testRenderedLinesAndJSONShowTheMalformedMessage() throws {
        let message = try XCTUnwrap(conversation([(.client, "GET / HTPT/1.1\r\n\r\n")]).first)
        var out = TextBuffer()
        HTTPMessageLine.render(message, client: "10.0.0.1.40000", server: "10.0.0.2.80", into: &out)
        XCTAssertEqual(
            out.string,
            "frames 10-10  stream 0  10.0.0.1.40000 > 10.0.0.2.80  request  [malformed: expected an HTTP/ version "
                + "(RFC 9112 §2.3) at byte 6 in frame 10: \"GET / H\"]\n")
        var json = TextBuffer()
        JSONLines.http(message, into: &json)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.string.utf8)) as? [String: Any])
        XCTAssertEqual(object["malformed"] as? Bool, true)
        XCTAssertEqual(object["error_kind"] as? String, "bad_version")
        XCTAssertEqual(object["error_rule"] as? String, "RFC 9112 §2.3")
        XCTAssertEqual(object["error_offset"] as? Int, 6)
        XCTAssertEqual(object["error_frame"] as? Int, 10)
        XCTAssertEqual(object["direction"] as? String, "request")
        XCTAssertNil(object["method"])

        let warned = try XCTUnwrap(conversation([(.client, "GET / HTTP/1.1\r\nHost : x\r\n\r\n")]).first)
        var line = TextBuffer()
        HTTPMessageLine.render(warned, client: "a", server: "b", into: &line)
        XCTAssertTrue(line.string.contains("\n    warning: whitespace between field name and colon"), line.string)
        XCTAssertTrue(line.string.contains("(RFC 9112 §5.1) at byte 20 in frame 10"), line.string)
    }
}

extension HTTPParser {
    /// The error strict mode stops with on these bytes, if any.
    static func strictError(_ text: String) -> HTTPParseError? {
        var parser = HTTPParser(kind: .request, lenient: false)
        _ = parser.parse(Array(text.utf8))
        return parser.error
    }
}
