import Foundation
import XCTest

/// `netlab follow`, `netlab stats` and the `sniff` views against tshark's output for the same
/// captures (the corpus's references, and the installed tshark for the other captures).
final class FlowViewTests: XCTestCase {
    /// The follow and conversation sections of a corpus reference file.
    static func sections(_ text: String) -> (follow: String, conversations: String) {
        let parts = text.components(
            separatedBy: "================================================================================\n")
        return (parts[0], parts.count > 2 ? parts[1] : "")
    }

    func testFollowAndConversationsEqualTsharkOnLoopbackCaptures() throws {
        let corpus = try Harness.requireCorpus().appendingPathComponent("loopback")
        var compared = 0
        for name in ["python-get", "nginx-two-requests", "nginx-ipv6-404", "tcp-echo", "refused-ipv6"] {
            let reference = try String(
                contentsOf: corpus.appendingPathComponent("expected/\(name).tshark-conv-follow.txt"), encoding: .utf8)
            let (follow, conversations) = Self.sections(reference)
            let pcap = corpus.appendingPathComponent("\(name).pcap").path
            let followed = try Harness.run(["follow", "-r", pcap])
            XCTAssertEqual(followed.status, 0, followed.stderr)
            XCTAssertEqual(followed.stdout, follow, "\(name): follow differs from tshark -z follow,tcp,ascii,0")
            let stats = try Harness.run(["stats", "-r", pcap])
            XCTAssertEqual(Self.sections(stats.stdout).conversations, conversations, "\(name): conversations differ")
            compared += 1
        }
        XCTAssertEqual(compared, 5)
    }

    func testConversationsEqualTsharkOnEveryCorpusCapture() throws {
        guard let tshark = TCPAnalysisTestsPaths.tshark else {
            throw XCTSkip("SKIPPED: tshark is not installed (scripts/setup.sh installs it)")
        }
        let corpus = try Harness.requireCorpus()
        var same = 0, total = 0
        var differences: [String] = []
        for folder in ["tcpdump/pcaps", "loopback"] {
            let directory = corpus.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
                let path = directory.appendingPathComponent(name).path
                let mine = try Harness.run(["stats", "-r", path]).stdout.split(separator: "\n").filter {
                    $0.contains("<->")
                }
                let theirs = try TCPAnalysisTestsPaths.run(tshark, ["-n", "-r", path, "-q", "-z", "conv,tcp"])
                    .split(separator: "\n").filter { $0.contains("<->") }
                total += max(mine.count, theirs.count)
                same += zip(mine, theirs).filter { $0 == $1 }.count
                if mine != theirs { differences.append(name) }
            }
        }
        print("\nCONVERSATIONS vs tshark -z conv,tcp: \(same)/\(total) rows identical; files differing: \(differences)")
        // Known gap: tunnels (Geneve) carry TCP that tshark decodes and netlab does not.
        XCTAssertEqual(differences.filter { $0 != "geneve.pcap" }, [])
        XCTAssertGreaterThan(total, 60)
    }

    func testViewsOnTheBundledCapture() throws {
        let capture = Harness.root.appendingPathComponent("captures/http-get.pcap").path
        let http = try Harness.run(["sniff", "-r", capture, "--http"])
        XCTAssertEqual(http.status, 0, http.stderr)
        let lines = http.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, http.stdout)
        // captures/record.sh may re-record the capture: ports vary, the shape does not.
        XCTAssertNotNil(
            String(lines[0]).range(
                of:
                    #"^frames 4-4  stream 0  127\.0\.0\.1:\d+ > 127\.0\.0\.1:(\d+)  GET / HTTP/1\.1  Host: 127\.0\.0\.1:\1$"#,
                options: .regularExpression),
            String(lines[0]))
        XCTAssertNotNil(
            String(lines[1]).range(
                of: #"^frames 6-6  stream 0 .* HTTP/1\.1 200 OK  text/html; charset=utf-8  body \d+ bytes$"#,
                options: .regularExpression),
            String(lines[1]))

        let explain = try Harness.run(["sniff", "-r", capture, "--explain"])
        XCTAssertTrue(explain.stdout.contains("states: client SYN-SENT"), explain.stdout)
        XCTAssertTrue(explain.stdout.contains("client ESTABLISHED"))
        XCTAssertTrue(explain.stdout.contains("TIME-WAIT"))
        XCTAssertTrue(explain.stdout.contains("Offers: MSS 65495"))

        let json = try Harness.run(["sniff", "-r", capture, "--json"])
        var types: [String: Int] = [:]
        for line in json.stdout.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            types[object["type"] as! String, default: 0] += 1
        }
        XCTAssertEqual(types["packet"], 10)
        XCTAssertEqual(types["http"], 2)
        XCTAssertGreaterThanOrEqual(types["state"] ?? 0, 8)

        let both = try Harness.run(["sniff", "-r", capture, "--http", "--json"])
        XCTAssertEqual(both.status, 64)

        // Tracking limits are options; in-order streams need no waiting room at all.
        let follow = try Harness.run(["follow", "-r", capture])
        let tight = try Harness.run([
            "follow", "-r", capture, "--max-waiting-bytes", "0", "--max-live-connections", "1",
        ])
        XCTAssertEqual(tight.stdout, follow.stdout)
        XCTAssertEqual(try Harness.run(["stats", "-r", capture, "--max-live-connections", "0"]).status, 64)
    }

    /// Every object `--json` prints has exactly the fields docs/json.md documents for its type
    /// (optional ones aside), so the documentation and the output cannot drift apart.
    func testJSONFollowsTheDocumentedSchema() throws {
        let doc = try String(contentsOf: Harness.root.appendingPathComponent("docs/json.md"), encoding: .utf8)
        // "## `packet` — …" starts a type's table; "`tcp` object:" a nested table.
        var fields: [String: Set<String>] = [:]
        var current = ""
        for line in doc.split(separator: "\n") {
            if line.hasPrefix("## `") { current = String(line.dropFirst(4).prefix { $0 != "`" }) }
            if line.hasPrefix("`tcp` object") { current = "tcp" }
            if line.hasPrefix("`warnings` items") { current = "warnings" }
            guard line.hasPrefix("| `"), !current.isEmpty else { continue }
            let cell = line.dropFirst(2).prefix { $0 != "|" }
            for name in cell.split(separator: ",") {
                fields[current, default: []].insert(
                    name.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["`"]))
            }
        }
        XCTAssertEqual(Set(fields.keys), ["packet", "tcp", "state", "http", "warnings"], "docs/json.md tables")
        let optional: [String: Set<String>] = [
            "packet": ["tcp"],
            "http": [
                "method", "target", "status", "reason", "version", "headers", "error", "error_kind", "error_rule",
                "error_offset", "error_frame", "error_line", "capture_incomplete",
            ],
            "tcp": ["capture_incomplete"],
        ]
        var checked = 0
        for name in ["captures/http-get.pcap", "../shared/corpus/loopback/nginx-two-requests.pcap"] {
            let path = Harness.root.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let json = try Harness.run(["sniff", "-r", path, "--json"])
            for line in json.stdout.split(separator: "\n") {
                let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let type = try XCTUnwrap(object["type"] as? String)
                let documented = try XCTUnwrap(fields[type], "undocumented type \(type)")
                let keys = Set(object.keys)
                XCTAssertTrue(keys.isSubset(of: documented), "\(type): undocumented \(keys.subtracting(documented))")
                let required = documented.subtracting(optional[type] ?? [])
                XCTAssertTrue(required.isSubset(of: keys), "\(type): missing \(required.subtracting(keys))")
                if let tcp = object["tcp"] as? [String: Any] {
                    XCTAssertEqual(Set(tcp.keys).union(optional["tcp"] ?? []), fields["tcp"], "tcp object")
                }
                for warning in object["warnings"] as? [[String: Any]] ?? [] {
                    XCTAssertEqual(Set(warning.keys), fields["warnings"], "warnings item")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 20)
    }
}

/// tshark location and a small runner shared by the flow tests.
enum TCPAnalysisTestsPaths {
    static var tshark: String? {
        ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
