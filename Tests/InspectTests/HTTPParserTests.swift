import XCTest

@testable import Inspect

/// Framing, limits and strictness beyond the corpus cases (RFC 9112 §6, §7, §11).
final class HTTPParserTests: XCTestCase {
    typealias Message = HTTPConformanceTests.Message

    func parse(_ text: String, _ kind: HTTPParser.Kind = .request, lenient: Bool = false, piece: Int = 1_000_000)
        -> ([Message], HTTPParseError?)
    {
        let bytes = Array(text.utf8)
        return HTTPConformanceTests.parse(bytes, kind: kind, lenient: lenient, piece: max(1, min(piece, bytes.count)))
    }

    func testPipelinedRequestsAndChunkedTrailers() {
        let (messages, error) = parse(
            "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\nWiki\r\n5;ext=\"v\"\r\npedia\r\n0\r\nChecksum: abc\r\n\r\n", piece: 3)
        XCTAssertNil(error)
        XCTAssertEqual(messages.count, 2)
        XCTAssertEqual(messages[1].head?.target, "/b")
        XCTAssertEqual(String(decoding: messages[1].body, as: UTF8.self), "Wikipedia")
        XCTAssertTrue(messages[1].complete)
    }

    func testResponseBodiesFollowTheRequestMethodAndStatus() {
        var parser = HTTPParser(kind: .response)
        parser.expectResponse(to: "HEAD")
        parser.expectResponse(to: "GET")
        parser.expectResponse(to: "GET")
        let text =
            "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"  // HEAD: no body despite the length
            + "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
        let events = parser.parse(Array(text.utf8))
        let ends = events.filter { if case .end = $0 { true } else { false } }.count
        let bodies = events.compactMap { if case .body(let b) = $0 { b } else { nil } }
        XCTAssertEqual(ends, 4)  // HEAD response, 100, 304, 200
        XCTAssertEqual(bodies, [Array("hi".utf8)])
        XCTAssertNil(parser.error)
    }

    func testCloseDelimitedBodyEndsAtFinish() {
        var parser = HTTPParser(kind: .response)
        let events = parser.parse(Array("HTTP/1.0 200 OK\r\n\r\nhello".utf8))
        XCTAssertFalse(events.contains { if case .end = $0 { true } else { false } })
        XCTAssertEqual(parser.finish(), [.end(trailers: [], keepAlive: false)])
    }

    func testLimitsMapToStatusCodes() {
        var limits = HTTPParser.Limits()
        limits.startLine = 32
        limits.fieldBytes = 64
        limits.fieldCount = 2
        limits.bodyBytes = 10
        func error(_ text: String) -> HTTPParseError? {
            var parser = HTTPParser(kind: .request, limits: limits)
            _ = parser.parse(Array(text.utf8))
            return parser.error
        }
        XCTAssertEqual(error("GET /" + String(repeating: "a", count: 40))?.status, 414)
        XCTAssertEqual(error("GET / HTTP/1.1\r\nX: " + String(repeating: "b", count: 80))?.status, 431)
        XCTAssertEqual(error("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n")?.status, 431)
        XCTAssertEqual(error("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n")?.status, 413)
        // Any HTTP/DIGIT.DIGIT is read (the server answers 505 for a major version it lacks);
        // a version that is not one is a 400.
        XCTAssertNil(error("GET / HTTP/3.0\r\n\r\n"))
        XCTAssertEqual(error("GET / HTTP/1.x\r\n\r\n")?.status, 400)
        XCTAssertNil(error("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789"))
    }

    func testStrictModeRejectsWhatLenientModeTolerates() {
        XCTAssertEqual(parse("GET / HTTP/1.1\nHost: x\n\n").1?.kind, .bareLF)
        XCTAssertNil(parse("GET / HTTP/1.1\nHost: x\n\n", lenient: true).1)
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n").1?.kind, .obsoleteLineFolding)
        XCTAssertNil(parse("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", lenient: true).1)
        // Smuggling shapes are rejected even when lenient.
        XCTAssertEqual(
            parse("GET / HTTP/1.1\r\nA: b\r\n Content-Length: 5\r\n\r\n", lenient: true).1?.kind, .obsoleteLineFolding)
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nA: b\nB: c\r\n\r\n", lenient: true).1?.kind, .mixedLineEndings)
        XCTAssertEqual(
            parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n").1?.kind,
            .contentLengthWithTransferEncoding)
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n").1?.kind, .whitespaceBeforeColon)
    }

    func testNoDataAfterConnectionClose() {
        let (messages, error) = parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(error?.kind, .dataAfterClose)
    }

    func testEveryPieceSizeGivesTheSameEvents() {
        let text =
            "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            + "GET /y HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"
        let whole = parse(text)
        for piece in 1...9 { XCTAssertEqual(parse(text, piece: piece).0, whole.0, "piece size \(piece)") }
    }

    /// An error is reported at the earliest byte that shows it, and bytes after that byte (which
    /// may not have arrived yet) never change what it says: the same error whole and byte by byte.
    func testAnErrorIsAtItsFirstOffendingByteForEverySplit() {
        let chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        let head = chunked.utf8.count
        let gzip = "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"
        let cases: [(String, HTTPParseError.Kind, String, Int)] = [
            // Where the CRLF after chunk data belongs: its first byte, not a two-byte "line".
            (chunked + "1\r\naXY\r\n0\r\n\r\n", .badChunk, "expected CRLF after chunk data", head + 4),
            (chunked + "1\r\naXYZW", .badChunk, "expected CRLF after chunk data", head + 4),
            (chunked + "1\r\na\rX", .bareCR, "CR not followed by LF", head + 4),
            // A bad chunk size: at its byte, not relabelled by a bare CR on the next line.
            (chunked + "z\r\n\rX", .badChunk, "invalid character in chunk size", head),
            (chunked + "1 \r\n", .badChunk, "whitespace after chunk size", head + 1),
            // Decided at the end of the head: the byte after it, whatever that byte is.
            (
                gzip + "\rX", .badTransferEncoding, "request Transfer-Encoding must end with chunked (once)",
                gzip.utf8.count
            ),
        ]
        for (text, kind, reason, offset) in cases {
            for piece in [1, 2, 1_000_000] {
                let error = parse(text, piece: piece).1
                XCTAssertEqual(error?.kind, kind, "\(text.debugDescription), pieces of \(piece)")
                XCTAssertEqual(error?.reason, reason, "\(text.debugDescription), pieces of \(piece)")
                XCTAssertEqual(error?.offset, offset, "\(text.debugDescription), pieces of \(piece)")
            }
        }
    }
}
