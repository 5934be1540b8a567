import Foundation
import Sockets
import XCTest

/// `netlab server http` in all four models, driven by curl (what users run) and by raw
/// sockets (what attackers send). Every model must give the same answers.
final class HTTPServerTests: XCTestCase {
    static let models = ["serial", "fork", "threads", "events"]

    func start(_ model: String, _ site: SiteDirectory, _ extra: [String] = []) throws -> ServerProcess {
        try ServerProcess(["server", "http", "--root", site.path, "--port", "0", "--model", model] + extra)
    }

    func testCurlGetsFilesInEveryModel() throws {
        _ = try Curl.path
        let site = try SiteDirectory()
        for model in Self.models {
            let server = try start(model, site)
            defer { server.stop() }
            let base = server.url
            XCTAssertTrue(base.hasPrefix("http://127.0.0.1:"), base)

            let page = try Curl.run(["-i", base])
            XCTAssertTrue(page.text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(model): \(page.text)")
            XCTAssertTrue(page.text.contains("Content-Type: text/html; charset=utf-8\r\n"), model)
            XCTAssertTrue(page.text.contains("Content-Length: 26\r\n"), model)
            XCTAssertTrue(page.text.contains("Last-Modified: "), model)
            XCTAssertTrue(page.text.hasSuffix("\r\n\r\n<h1>netlab test site</h1>\n"), model)

            let big = try Curl.run([base + "big.bin"])
            XCTAssertEqual(big.stdout, site.bigFile, "\(model): big.bin differs")

            // netlab's own client against every model too.
            let ours = try Harness.run(["client", "http", base + "hello.txt"])
            XCTAssertEqual(ours.status, 0, ours.stderr)
            XCTAssertTrue(ours.stdout.hasPrefix("HTTP/1.1 200 OK\n"), "\(model): \(ours.stdout)")
            XCTAssertTrue(ours.stdout.hasSuffix("\n\nhello, world\n"), "\(model): \(ours.stdout)")

            let text = try Curl.run(["-D", "-", base + "hello.txt"])
            XCTAssertTrue(text.text.contains("Content-Type: text/plain; charset=utf-8"), model)
            XCTAssertTrue(text.text.hasSuffix("hello, world\n"), model)

            let head = try Curl.run(["-I", base + "big.bin"])
            XCTAssertTrue(head.text.contains("Content-Length: 300000"), "\(model): \(head.text)")
            XCTAssertTrue(head.text.contains("Accept-Ranges: bytes"), model)

            let codes = try Curl.run(
                [
                    "-o", "/dev/null", "-w", "%{http_code} ", base + "nope", "-o", "/dev/null", base + "docs",
                    "-o", "/dev/null", base + "docs/", "-o", "/dev/null", base + "inside.txt",
                ])
            XCTAssertEqual(codes.text, "404 301 200 200 ", model)

            let redirect = try Curl.run(["-L", base + "docs"])
            XCTAssertEqual(redirect.text, "<p>docs</p>\n", model)

            let listing = try Curl.run([base + "empty/"])
            XCTAssertTrue(listing.text.contains("&lt;weird&gt; name.txt"), "\(model): \(listing.text)")
            XCTAssertTrue(listing.text.contains("href=\"%3Cweird%3E%20name.txt\""), model)

            let range = try Curl.run(["-i", "-r", "100-199", base + "big.bin"])
            XCTAssertTrue(range.text.hasPrefix("HTTP/1.1 206 Partial Content"), model)
            XCTAssertTrue(range.text.contains("Content-Range: bytes 100-199/300000"), model)
            XCTAssertEqual(range.stdout.suffix(100), site.bigFile[100..<200], model)
            let suffix = try Curl.run(["-r", "-10", base + "big.bin"])
            XCTAssertEqual(suffix.stdout, site.bigFile.suffix(10), model)
            let outside = try Curl.run(["-o", "/dev/null", "-w", "%{http_code}", "-r", "400000-", base + "big.bin"])
            XCTAssertEqual(outside.text, "416", model)

            let now = HTTPDate.format(Int(Date().timeIntervalSince1970))
            let modified = try Curl.run(
                ["-o", "/dev/null", "-w", "%{http_code}", "-H", "If-Modified-Since: \(now)", base + "hello.txt"])
            XCTAssertEqual(modified.text, "304", model)
            // A date in the future is invalid and ignored (RFC 9110 §13.1.3).
            let future = try Curl.run(
                [
                    "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT",
                    base + "hello.txt",
                ])
            XCTAssertEqual(future.text, "200", model)
            let older = try Curl.run(["-o", "/dev/null", "-w", "%{http_code}", "-z", "2000-01-01", base + "hello.txt"])
            XCTAssertEqual(older.text, "200", model)

            // Keep-alive: two requests, one connection; HTTP/1.0 gets its answer and the close.
            let twice = try Curl.run(
                ["-o", "/dev/null", "-o", "/dev/null", "-w", "%{num_connects}", base + "hello.txt", base + "hello.txt"])
            XCTAssertEqual(twice.text, "10", "\(model): the second request should reuse the connection")
            let old = try Curl.run(["-0", "-i", base + "hello.txt"])
            XCTAssertTrue(old.text.hasPrefix("HTTP/1.1 200 OK"), model)
            XCTAssertTrue(old.text.contains("Connection: close"), model)

            let post = try Curl.run(["-i", "-d", "x=1", base + "hello.txt"])
            XCTAssertTrue(post.text.hasPrefix("HTTP/1.1 405 "), "\(model): \(post.text)")
            XCTAssertTrue(post.text.contains("Allow: GET, HEAD, OPTIONS"), model)

            XCTAssertEqual(server.stop(), 0, "\(model) did not stop cleanly: \(server.errors.snapshot.map(\.1))")
            let log = server.errors.snapshot.map(\.1)
            XCTAssertTrue(
                log.contains {
                    $0.range(
                        of: #"^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4} \d\d:\d\d:\d\d\] "GET /hello.txt HTTP/1.1" 200 13$"#,
                        options: .regularExpression) != nil
                },
                "\(model): access log lines like python's: \(log.prefix(5))")
            XCTAssertTrue(log.last?.hasPrefix("stopped: ") ?? false, "\(model): \(log.suffix(2))")
        }
    }

    /// Requests curl would never send. Each must get its status without harming the server.
    func testHostileRequestsGetTheirStatusInEveryModel() throws {
        let site = try SiteDirectory()
        let long = String(repeating: "a", count: 9000)
        let cases: [(String, String, Int)] = [
            ("dot-dot", "GET /../netlab-secret.txt HTTP/1.1\r\nHost: x\r\n\r\n", 403),
            ("encoded dot-dot", "GET /%2e%2e/netlab-secret.txt HTTP/1.1\r\nHost: x\r\n\r\n", 403),
            ("encoded slash", "GET /..%2fnetlab-secret.txt HTTP/1.1\r\nHost: x\r\n\r\n", 404),
            ("symlink out", "GET /escape HTTP/1.1\r\nHost: x\r\n\r\n", 403),
            ("symlink to parent", "GET /up/netlab-secret.txt HTTP/1.1\r\nHost: x\r\n\r\n", 403),
            ("NUL", "GET /hello.txt%00.html HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("absolute form", "GET http://x/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 200),
            ("long request line", "GET /\(long) HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            (
                "huge header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 40_000))\r\n\r\n",
                431
            ),
            (
                "many headers", "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-A: 1\r\n", count: 150) + "\r\n",
                431
            ),
            ("big body", "PUT /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n", 413),
            ("unknown method", "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 501),
            ("HTTP/2.0 line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            ("HTTP/3.0 line", "GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
            ("no Host", "GET / HTTP/1.1\r\n\r\n", 400),
            ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            (
                "CL and TE",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400
            ),
            ("garbage", "\u{1}\u{2}hello there\r\n\r\n", 400),
            ("bad header", "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400),
            ("obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n  b\r\n\r\n", 400),
            ("bare LF", "GET / HTTP/1.1\nHost: x\n\n", 400),
            ("HTTP/1.0 without Host", "GET /hello.txt HTTP/1.0\r\n\r\n", 200),
        ]
        // The traversal targets aim at a real file beside the root (in this test's own directory).
        let secret = site.base.appendingPathComponent("netlab-secret.txt").path
        XCTAssertEqual(try String(contentsOfFile: secret, encoding: .utf8), "secret\n")
        for model in Self.models {
            let server = try start(model, site)
            defer { server.stop() }
            for (name, request, expected) in cases {
                let response = try RawClient.exchange(port: server.port, request)
                XCTAssertEqual(RawClient.status(response), expected, "\(model), \(name): \(response.prefix(200))")
                XCTAssertFalse(response.contains("secret"), "\(model), \(name) leaked a file outside the root")
            }
            // After all that, a plain request still works.
            let fine = try RawClient.exchange(
                port: server.port, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertTrue(fine.hasSuffix("hello, world\n"), "\(model): \(fine)")
        }
    }

    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let site = try SiteDirectory()
        for model in Self.models {
            let server = try start(model, site)
            defer { server.stop() }
            let requests =
                "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let response = try RawClient.exchange(port: server.port, requests, responses: 4)
            XCTAssertEqual(RawClient.statuses(response), [200, 200, 404, 200], "\(model): \(response)")
            XCTAssertTrue(response.hasSuffix("hello, world\n"), model)
            XCTAssertEqual(response.components(separatedBy: "hello, world\n").count, 3, model)
        }
    }

    /// A slowloris client (a byte at a time, never finishing) gets 408 after --request-timeout,
    /// and meanwhile other clients are served at once (except in the serial model, whose whole
    /// point is that one client at a time is served: there the timeout is what frees it).
    func testSlowClientsTimeOutAndDoNotStopOthers() throws {
        let site = try SiteDirectory()
        for model in Self.models {
            let server = try start(model, site, ["--request-timeout", "2", "--idle-timeout", "1"])
            defer { server.stop() }
            let slow = try Socket.connect(host: "127.0.0.1", port: server.port, timeout: 2)
            try slow.sendAll(Array("GET / HTTP/1.1\r\nHo".utf8))
            let idle = try Socket.connect(host: "127.0.0.1", port: server.port, timeout: 2)
            // The server holds the slow client (accepted first: the listen queue is FIFO) before
            // anyone else comes. (The idle one may already be gone after its 1 s idle timeout.)
            XCTAssertTrue(Harness.eventually { server.heldConnections >= 1 }, "\(model): not accepted")
            if model != "serial" {
                let started = Date()
                let fine = try RawClient.exchange(
                    port: server.port, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", readFor: 3)
                XCTAssertEqual(RawClient.status(fine), 200, "\(model): \(fine)")
                // Served while the slow request is still pending (its 408 comes only after the
                // 2 s request timeout): a server that made others wait would answer after that.
                // An order, not a stopwatch, so a loaded machine cannot fail it.
                XCTAssertFalse(
                    try slow.wait(for: .readable, timeout: 0),
                    "\(model): a slow client held others up (answered after \(Date().timeIntervalSince(started)) s)")
            }
            try slow.sendAll(Array("s".utf8))  // still trickling
            let answer = try RawClient.readAll(slow, seconds: 4)
            XCTAssertEqual(RawClient.status(answer), 408, "\(model): \(answer)")
            // The idle connection (no bytes at all) is closed without a response.
            let idleAnswer = try RawClient.readAll(idle, seconds: 4)
            XCTAssertEqual(idleAnswer, "", "\(model)")
            let after = try RawClient.exchange(
                port: server.port, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", readFor: 3)
            XCTAssertEqual(RawClient.status(after), 200, "\(model): \(after)")
        }
    }

    func testConnectionsBeyondTheLimitGet503() throws {
        let site = try SiteDirectory()
        for model in ["fork", "threads", "events"] {
            let server = try start(model, site, ["--max-connections", "2"])
            defer { server.stop() }
            let first = try Socket.connect(host: "127.0.0.1", port: server.port, timeout: 2)
            let second = try Socket.connect(host: "127.0.0.1", port: server.port, timeout: 2)
            // Both accepted (queued connections do not count against the limit yet).
            XCTAssertTrue(
                Harness.eventually { server.heldConnections == 2 }, "\(model): \(server.heldConnections) held")
            let third = try RawClient.exchange(port: server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", readFor: 3)
            XCTAssertEqual(RawClient.status(third), 503, "\(model): \(third)")
            XCTAssertTrue(third.contains("Retry-After: 1"), model)
            first.close()
            second.close()
            // Both places freed: the connections are closed, and the fork model reaped their
            // children (a zombie still counts until then).
            XCTAssertTrue(
                Harness.eventually { server.heldConnections == 0 && ProcessTable.children(of: server.pid).isEmpty },
                "\(model): \(server.heldConnections) held")
            let later = try RawClient.exchange(
                port: server.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(RawClient.status(later), 200, "\(model): \(later)")
        }
    }

    func testIPv6AndStartupErrors() throws {
        let site = try SiteDirectory()
        if (try? Socket.listen(host: "::1", port: 0)) != nil {
            let server = try ServerProcess(["server", "http", "--root", site.path, "--port", "0", "--bind", "::1"])
            defer { server.stop() }
            XCTAssertTrue(server.url.hasPrefix("http://[::1]:"), server.url)
            let response = try RawClient.exchange(
                port: server.port, host: "::1",
                Array("GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
            XCTAssertTrue(response.hasSuffix("hello, world\n"), response)
        }
        let missing = try Harness.run(["server", "http", "--root", "/nonexistent-netlab-root", "--port", "0"])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)

        let taken = try Socket.listen(host: "127.0.0.1", port: 0)
        let busy = try Harness.run(["server", "http", "--root", site.path, "--port", String(taken.localPort)])
        XCTAssertEqual(busy.status, 69, busy.stderr)
        XCTAssertTrue(busy.stderr.contains("EADDRINUSE"), busy.stderr)
        XCTAssertEqual(busy.stderr.split(separator: "\n").count, 1, busy.stderr)

        // --max-body lowers the body limit: 11 declared bytes against 10 allowed is 413.
        let strict = try ServerProcess(["server", "http", "--root", site.path, "--port", "0", "--max-body", "10"])
        defer { strict.stop() }
        let tooBig = try RawClient.exchange(
            port: strict.port, "PUT /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n01234567890")
        XCTAssertEqual(RawClient.status(tooBig), 413, tooBig)
        let small = try RawClient.exchange(
            port: strict.port, "PUT /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789")
        XCTAssertEqual(RawClient.status(small), 405, "within the limit the method decides: \(small)")

        let badModel = try Harness.run(["server", "http", "--model", "coroutines"])
        XCTAssertEqual(badModel.status, 64, badModel.stderr)
    }
}
