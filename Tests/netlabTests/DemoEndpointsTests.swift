import Foundation
import Sockets
import TestSupport
import XCTest

/// `netlab server http --demo-endpoints` (lesson 15) in all four models: curl's cookie jar
/// (an independent client keeping the session) sees the counter count, curl decodes the chunks,
/// /echo returns generated bodies byte for byte, and generated Cookie headers — well-formed,
/// forged, huge — never trap the server and always count as the reference says.
final class DemoEndpointsTests: XCTestCase {
    func start(_ model: String, _ site: SiteDirectory, demo: Bool = true) throws -> ServerProcess {
        try ServerProcess(
            ["server", "http", "--root", site.path, "--port", "0", "--model", model, "--quiet"]
                + (demo ? ["--demo-endpoints"] : []))
    }

    func testDemoEndpointsInEveryModel() throws {
        _ = try Curl.path
        let site = try SiteDirectory()
        let jar = site.base.appendingPathComponent("cookies.txt").path
        for model in HTTPServerTests.models {
            let server = try start(model, site)
            defer { server.stop() }
            let base = server.url
            try? FileManager.default.removeItem(atPath: jar)
            // curl keeps the cookie in its jar and sends it back, as a browser does.
            for visit in 1...3 {
                let page = try Curl.run(["-c", jar, "-b", jar, "-D", "-", base + "counter"])
                XCTAssertTrue(page.text.contains("Set-Cookie: visits=\(visit); Path=/; HttpOnly\r\n"), page.text)
                XCTAssertTrue(page.text.hasSuffix("\r\n\r\nvisits: \(visit)\n"), "\(model): \(page.text)")
            }
            // One curl per request: curl's -X and -d apply to every URL of a run.
            func code(_ arguments: [String]) throws -> String {
                try Curl.run(["-o", "/dev/null", "-w", "%{http_code}"] + arguments).text
            }
            let codes = try ["status/500", "status/418", "status/204", "status/5000"].map { try code([base + $0]) }
            XCTAssertEqual(
                codes + [try code(["-X", "DELETE", base + "counter"])], ["500", "418", "404", "404", "405"])

            let raw = try Curl.run(["--raw", "-D", "-", base + "chunked"])
            XCTAssertTrue(raw.text.contains("Transfer-Encoding: chunked\r\n"), "\(model): \(raw.text)")
            XCTAssertFalse(raw.text.contains("Content-Length"), "\(model): chunked and Content-Length")
            XCTAssertTrue(raw.text.hasSuffix("\r\n0\r\n\r\n"), "\(model): \(raw.text)")
            let decoded = try Curl.run([base + "chunked"])
            let lines = decoded.text.split(separator: "\n")
            XCTAssertEqual(lines.count, 3, "\(model): \(decoded.text)")
            XCTAssertTrue(lines.enumerated().allSatisfy { $1.hasPrefix("chunk \($0 + 1): ") }, decoded.text)
            // HTTP/1.0 cannot read chunks (RFC 9112 §6.1): the same body with Content-Length.
            let old = try RawClient.exchange(port: server.port, "GET /chunked HTTP/1.0\r\n\r\n")
            XCTAssertTrue(old.contains("Content-Length: \(decoded.stdout.count)\r\n"), "\(model): \(old)")
            XCTAssertFalse(old.contains("Transfer-Encoding"), model)

            // POST /echo: generated bodies, every byte value, back exactly, with their type.
            var random = SeededGenerator(state: 15)
            for size in [0, 1, 100, 65_536] {
                let body = (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
                let file = site.base.appendingPathComponent("body.bin")
                try Data(body).write(to: file)
                let echo = try Curl.run(
                    [
                        "-H", "Expect:", "-H", "Content-Type: application/x-test", "--data-binary", "@" + file.path,
                        "-D", "-", base + "echo",
                    ])
                let text = echo.stdout
                let split = try XCTUnwrap(text.range(of: Data("\r\n\r\n".utf8)), model)
                XCTAssertEqual([UInt8](text[split.upperBound...]), body, "\(model): echo of \(size) bytes")
                XCTAssertTrue(echo.text.contains("Content-Type: application/x-test\r\n"), model)
            }
            let get = try Curl.run(["-o", "/dev/null", "-w", "%{http_code}", base + "echo"])
            XCTAssertEqual(get.text, "405", model)
        }
    }

    /// Pipelined POSTs on one connection each get their own body back (a body never leaks into
    /// the next request's answer), and a body over --max-body is refused with 413, in every model.
    func testPipelinedEchoesAndTheBodyLimit() throws {
        let site = try SiteDirectory()
        for model in HTTPServerTests.models {
            let server = try ServerProcess(
                [
                    "server", "http", "--root", site.path, "--port", "0", "--model", model, "--quiet",
                    "--demo-endpoints", "--max-body", "100",
                ])
            defer { server.stop() }
            let one = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nfirst"
            let two = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\nsecond"
            let three = "GET /counter HTTP/1.1\r\nHost: t\r\nCookie: visits=41\r\n\r\n"
            let reply = try RawClient.exchange(port: server.port, one + two + three, responses: 3)
            XCTAssertEqual(RawClient.statuses(reply), [200, 200, 200], "\(model): \(reply)")
            XCTAssertTrue(reply.contains("Content-Length: 5\r\n\r\nfirstHTTP/1.1 200 OK"), "\(model): \(reply)")
            XCTAssertTrue(reply.contains("Content-Length: 6\r\n\r\nsecondHTTP/1.1 200 OK"), "\(model): \(reply)")
            XCTAssertTrue(reply.hasSuffix("visits: 42\n"), "\(model): \(reply)")
            let big =
                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n" + String(repeating: "x", count: 101)
            XCTAssertEqual(RawClient.status(try RawClient.exchange(port: server.port, big)), 413, model)
        }
    }

    /// Without the flag the server stays a static file server.
    func testOffByDefault() throws {
        _ = try Curl.path
        let site = try SiteDirectory()
        let server = try start("events", site, demo: false)
        defer { server.stop() }
        var codes: [String] = []
        for arguments in [["counter"], ["status/500"], ["chunked"], ["echo", "-d", "x"]] {
            let url = server.url + arguments[0]
            codes.append(try Curl.run(["-o", "/dev/null", "-w", "%{http_code}", url] + arguments.dropFirst()).text)
        }
        XCTAssertEqual(codes, ["404", "404", "404", "405"])
        // A conditional GET answered 304: netlab's client says the body is none, not "until close".
        let now = HTTPDate.format(Int(Date().timeIntervalSince1970))
        let conditional = try Harness.run([
            "client", "http", server.url + "hello.txt", "-H", "If-Modified-Since: \(now)",
        ])
        XCTAssertTrue(conditional.stdout.hasPrefix("HTTP/1.1 304 Not Modified\n"), conditional.stdout)
        XCTAssertTrue(conditional.stderr.contains("answered 304; body 0 bytes (a 304 has none)"), conditional.stderr)
    }

    /// Generated Cookie headers on one keep-alive connection: the count the server sets is the
    /// reference's (`visits` of 1–9 digits, else 0, plus one), and nothing traps or overflows.
    func testGeneratedCookiesCountAsTheReferenceSays() throws {
        let cases = Int(ProcessInfo.processInfo.environment["NETLAB_LONG_TESTS"] == nil ? 1_000 : 20_000)
        let site = try SiteDirectory()
        let server = try start("events", site)
        defer { server.stop() }
        let socket = try Socket.connect(host: "127.0.0.1", port: server.port, timeout: 2)
        defer { socket.close() }
        var random = SeededGenerator(state: 1515)
        var disagreements: [String] = []
        let alphabet = Array("visits=0123456789;, -xa".utf8)
        for _ in 0..<cases {
            let cookie: String
            switch random.next() % 4 {
            case 0: cookie = "visits=\(random.next() % 1_000_000_000)"
            case 1: cookie = "a=b; visits=\(String(random.next() % 10_000_000_000_000))"
            case 2: cookie = "visits=\(Int64(bitPattern: random.next()))"
            default:
                let length = Int(random.next() % 40)
                cookie = String(decoding: (0..<length).map { _ in alphabet[Int(random.next() % 23)] }, as: UTF8.self)
            }
            try socket.sendAll(Array("GET /counter HTTP/1.1\r\nHost: t\r\nCookie: \(cookie)\r\n\r\n".utf8))
            let reply = try RawClient.readAll(socket, seconds: 5, responses: 1)
            let expected = Self.referenceVisits(cookie) + 1
            if !reply.contains("Set-Cookie: visits=\(expected);") || !reply.hasSuffix("visits: \(expected)\n") {
                disagreements.append("Cookie: \(cookie) → \(reply.suffix(20))")
            }
        }
        XCTAssertEqual(disagreements, [], "\(disagreements.count) of \(cases) disagree")
        print("DEMO COOKIES: \(cases) generated Cookie headers, \(disagreements.count) disagreements")
    }

    /// RFC 6265 §5.4's pairs, the first `visits`, taken when it is 1–9 ASCII digits.
    static func referenceVisits(_ header: String) -> Int {
        for pair in header.components(separatedBy: ";") {
            let trimmed = pair.trimmingCharacters(in: .init(charactersIn: " "))
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            guard trimmed[..<equals].trimmingCharacters(in: .init(charactersIn: " ")) == "visits" else { continue }
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .init(charactersIn: " "))
            guard (1...9).contains(value.count), value.allSatisfy({ $0.isASCII && $0.isNumber }) else { return 0 }
            return Int(value)!
        }
        return 0
    }
}
