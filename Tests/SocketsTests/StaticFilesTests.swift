import Foundation
import Inspect
import XCTest

@testable import Sockets

/// The request handler's decisions, without a network: which targets are refused and why,
/// ranges, dates, and the connection machine's limits.
final class StaticFilesTests: XCTestCase {
    func testTargetsThatLeaveTheRootAreRefusedBeforeTheFileSystem() {
        func status(_ target: String) -> Int? {
            switch TargetPath.parse(target) {
            case .success: nil
            case .failure(let refusal): refusal.status
            }
        }
        XCTAssertNil(status("/"))
        XCTAssertNil(status("/a/b.txt?x=1#frag"))
        XCTAssertNil(status("/a/./b.txt"))
        XCTAssertNil(status("http://example.com/a"))
        XCTAssertEqual(status("/../etc/passwd"), 403)
        XCTAssertEqual(status("/a/../../etc"), 403)
        XCTAssertEqual(status("/%2e%2e/etc/passwd"), 403)
        XCTAssertEqual(status("/%2E%2E/etc/passwd"), 403)
        XCTAssertEqual(status("/..%2fetc/passwd"), 404)
        XCTAssertEqual(status("/a%5c..%5cb"), 404)
        XCTAssertEqual(status("/a%00.txt"), 400)
        XCTAssertEqual(status("/bad%zz"), 400)
        XCTAssertEqual(status("/trailing%2"), 400)
        XCTAssertEqual(status("relative"), 400)
        XCTAssertEqual(status("*"), 400)
        guard case .success(let path) = TargetPath.parse("/docs/my%20file.txt?q=1") else { return XCTFail() }
        XCTAssertEqual(path.segments, ["docs", "my file.txt"])
        XCTAssertEqual(path.query, "?q=1")
        XCTAssertEqual(TargetPath.percentEncode("a b/<c>.txt"), "a%20b/%3Cc%3E.txt")
    }

    func testRanges() {
        XCTAssertEqual(ByteRange.parse("bytes=0-9", size: 100), .part(first: 0, last: 9))
        XCTAssertEqual(ByteRange.parse("bytes=90-", size: 100), .part(first: 90, last: 99))
        XCTAssertEqual(ByteRange.parse("bytes=-10", size: 100), .part(first: 90, last: 99))
        XCTAssertEqual(ByteRange.parse("bytes=-1000", size: 100), .part(first: 0, last: 99))
        XCTAssertEqual(ByteRange.parse("bytes=50-1000", size: 100), .part(first: 50, last: 99))
        XCTAssertEqual(ByteRange.parse("bytes=100-", size: 100), .unsatisfiable)
        XCTAssertEqual(ByteRange.parse("bytes=-0", size: 100), .unsatisfiable)
        XCTAssertEqual(ByteRange.parse("bytes=0-1,5-6", size: 100), .whole)  // several: the whole file
        XCTAssertEqual(ByteRange.parse("bytes=9-1", size: 100), .whole)  // invalid: ignored
        XCTAssertEqual(ByteRange.parse("items=0-1", size: 100), .whole)
        XCTAssertEqual(ByteRange.parse("bytes=99999999999999999999-", size: 100), .whole)
    }

    func testHTTPDates() {
        XCTAssertEqual(HTTPDate.format(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT")
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_777)
        XCTAssertEqual(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT"), 784_111_777)
        XCTAssertEqual(HTTPDate.parse("Sun Nov  6 08:49:37 1994"), 784_111_777)
        XCTAssertNil(HTTPDate.parse("yesterday"))
        XCTAssertNil(HTTPDate.parse("Sun, 06 Nov 1994 25:49:37 GMT"))
    }

    func testURLs() throws {
        let plain = try HTTPURL.parse("http://example.com/a?b=1")
        XCTAssertEqual(plain, HTTPURL(host: "example.com", port: 80, target: "/a?b=1", authority: "example.com"))
        let v6 = try HTTPURL.parse("http://[::1]:8080")
        XCTAssertEqual(v6, HTTPURL(host: "::1", port: 8080, target: "/", authority: "[::1]:8080"))
        XCTAssertEqual(try HTTPURL.parse("127.0.0.1:9000/x").port, 9000)
        XCTAssertThrowsError(try HTTPURL.parse("https://example.com/")) { error in
            XCTAssertEqual(error as? HTTPURL.Problem, .unsupportedScheme("https"))
        }
        XCTAssertThrowsError(try HTTPURL.parse("http://host:99999/"))
        XCTAssertThrowsError(try HTTPURL.parse("http:///path"))
        XCTAssertThrowsError(try HTTPURL.parse("http://[::1/"))
        XCTAssertThrowsError(try HTTPURL.parse("http://host/a b"))
        var client = HTTPClient()
        client.method = "POST"
        client.body = Array("x=1".utf8)
        XCTAssertEqual(
            String(decoding: client.request(for: plain), as: UTF8.self),
            "POST /a?b=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: netlab/0.1\r\nAccept: */*\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\nConnection: close\r\n\r\nx=1"
        )
    }

    /// The connection machine on byte-at-a-time input: same answers as all at once.
    func testConnectionMachineGivesTheSameAnswersForAnySplit() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-machine-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try Data("hi\n".utf8).write(to: root.appendingPathComponent("a.txt"))
        let files = try StaticFiles(root: root.path)
        let requests = Array(
            ("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /none HTTP/1.1\r\nHost: x\r\n\r\nGET /a.txt HTTP/1.0\r\n\r\n").utf8)
        var whole = HTTPServerConnection(files: files, limits: ServerLimits())
        let all = whole.receive(requests).map(\.status)
        var bytewise = HTTPServerConnection(files: files, limits: ServerLimits(), cache: FileCache())
        var split: [Int] = []
        for byte in requests { split += bytewise.receive([byte]).map(\.status) }
        XCTAssertEqual(all, [200, 200, 404, 200])
        XCTAssertEqual(split, all)
        XCTAssertTrue(whole.closing, "HTTP/1.0 without keep-alive closes")

        var limited = ServerLimits()
        limited.parser.bodyBytes = 10
        var machine = HTTPServerConnection(files: files, limits: limited)
        let tooBig = machine.receive(Array("POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n".utf8))
        XCTAssertEqual(tooBig.map(\.status), [413])
        XCTAssertTrue(machine.closing)

        var expecting = HTTPServerConnection(files: files, limits: ServerLimits())
        let interim = expecting.receive(
            Array("PUT /a.txt HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8))
        XCTAssertEqual(interim.map(\.status), [100])
        XCTAssertEqual(expecting.receive(Array("ok".utf8)).map(\.status), [405])

        var slow = HTTPServerConnection(files: files, limits: ServerLimits())
        XCTAssertTrue(slow.isIdle)
        _ = slow.receive(Array("GET /a.txt HTTP/1.1\r\nHo".utf8))
        XCTAssertFalse(slow.isIdle)
        XCTAssertEqual(slow.timedOut()?.status, 408)
        XCTAssertTrue(slow.endedWithError)

        // The clocks every model uses: idle timeout between requests, request timeout from a
        // request's first byte however slowly the rest comes.
        var clocked = HTTPServerConnection(files: files, limits: ServerLimits(), now: 100)
        XCTAssertEqual(clocked.deadline, 115)
        _ = clocked.receive(Array("GET /a.txt HTTP/1.1\r\nHo".utf8), now: 102)
        XCTAssertEqual(clocked.deadline, 112)
        _ = clocked.receive(Array("st".utf8), now: 108)
        XCTAssertEqual(clocked.deadline, 112, "trickling bytes do not extend the request timeout")
        XCTAssertEqual(clocked.receive(Array(": x\r\n\r\n".utf8), now: 109).map(\.status), [200])
        XCTAssertEqual(clocked.deadline, 124)
        XCTAssertFalse(clocked.endedWithError)
        var closer = HTTPServerConnection(files: files, limits: ServerLimits())
        _ = closer.receive(Array("GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        XCTAssertTrue(closer.closing)
        XCTAssertFalse(closer.endedWithError, "a 200 with Connection: close ends cleanly")
        var broken = HTTPServerConnection(files: files, limits: ServerLimits())
        XCTAssertEqual(broken.receive(Array("GET / HTTP/1.1\r\n\r\n".utf8)).map(\.status), [400])
        XCTAssertTrue(broken.endedWithError)
    }

    /// The file cache serves new contents as soon as a file changes (stat says so after its
    /// one-second window), and never serves a symlink swapped in to point outside.
    func testFileCacheNoticesChanges() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("netlab-cache-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("a.txt")
        try Data("one\n".utf8).write(to: file)
        let files = try StaticFiles(root: root.path)
        let cache = FileCache()
        cache.contentLifetime = 0
        cache.routeLifetime = 0
        let head = HTTPHead(startLine: .request(method: "GET", target: "/a.txt"), version: .http11, fields: [])
        func body() -> String {
            guard case .bytes(let bytes) = files.respond(to: head, cache: cache).body else { return "(file)" }
            return String(decoding: bytes, as: UTF8.self)
        }
        XCTAssertEqual(body(), "one\n")
        try Data("two, longer\n".utf8).write(to: file)
        XCTAssertEqual(body(), "two, longer\n")
        try FileManager.default.removeItem(at: file)
        try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: "/etc/hostname")
        XCTAssertEqual(files.respond(to: head, cache: cache).status, 403)
    }
}
