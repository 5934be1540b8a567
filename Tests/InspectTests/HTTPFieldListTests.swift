import TestSupport
import XCTest

@testable import Inspect

/// List-valued fields (Connection, Transfer-Encoding) are read from the bytes in place; these
/// generated heads check that reading against a plain string reference: split at commas, trim
/// spaces and tabs, lower-case, drop empty members.
final class HTTPFieldListTests: XCTestCase {
    private static let words = [
        "close", "keep-alive", "Keep-Alive", "CLOSE", "upgrade", "Upgrade", "chunked", "gzip", "x", "clos", "closed",
        "keep-alive2", "",
    ]

    private func reference(_ head: HTTPHead, _ name: String) -> [String] {
        head.fields.filter { $0.name.lowercased() == name.lowercased() }
            .flatMap {
                String(decoding: $0.rawValue, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
            }
            .map {
                String($0.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
                    .lowercased()
            }
            .filter { !$0.isEmpty }
    }

    func testGeneratedListsAgreeWithAStringReference() {
        var random = SeededGenerator(state: 12)
        let cases = ProcessInfo.processInfo.environment["NETLAB_LONG_TESTS"] == nil ? 5_000 : 100_000
        var keepAliveFalse = 0
        for index in 0..<cases {
            var fields: [HTTPField] = []
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                let name = ["Connection", "connection", "CONNECTION", "Transfer-Encoding", "Host"].randomElement(
                    using: &random)!
                var value = ""
                for member in 0..<Int.random(in: 0...4, using: &random) {
                    if member > 0 { value += [",", ", ", " ,", ",,", "\t,\t"].randomElement(using: &random)! }
                    value += Self.words.randomElement(using: &random)!
                }
                fields.append(HTTPField(name: name, rawValue: Array(value.utf8)))
            }
            let version = [HTTPVersion.http10, .http11, .http09].randomElement(using: &random)!
            let head = HTTPHead(startLine: .request(method: "GET", target: "/"), version: version, fields: fields)
            let connection = reference(head, "Connection")
            XCTAssertEqual(head.tokens("Connection"), connection, "case \(index): \(fields)")
            XCTAssertEqual(head.tokens("Transfer-Encoding"), reference(head, "Transfer-Encoding"), "case \(index)")
            let tokens: [(String, StaticString)] = [
                ("close", "close"), ("keep-alive", "keep-alive"), ("upgrade", "upgrade"),
            ]
            for (token, literal) in tokens {
                XCTAssertEqual(
                    head.hasToken("Connection", literal), connection.contains(token),
                    "case \(index): \(token) in \(fields)")
            }
            let expected =
                connection.contains("close")
                ? false
                : version == .http10 ? connection.contains("keep-alive") : version.major >= 1
            XCTAssertEqual(head.keepAlive, expected, "case \(index): \(version) \(fields)")
            if !expected { keepAliveFalse += 1 }
        }
        XCTAssertGreaterThan(keepAliveFalse, cases / 10, "the generator must produce closing heads too")
    }

    /// A value folded over lines keeps the whitespace between the pieces and loses it at the ends.
    func testObsFoldKeepsInnerWhitespace() {
        var parser = HTTPParser(kind: .request, lenient: true)
        let events = parser.parse(Array("GET / HTTP/1.1\r\nX-A: one  \r\n  two \t\r\n\tthree\r\nHost: h\r\n\r\n".utf8))
        guard case .head(let head)? = events.first else { return XCTFail("no head: \(events)") }
        XCTAssertEqual(head.fields.first?.value, "one    two \t\tthree")
    }
}
