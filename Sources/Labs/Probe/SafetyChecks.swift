import Inspect
import Sockets

/// A server on a network meets hostile requests. The probe sends them and only reads; it never
/// writes anything on the server. Traversal is judged by a sentinel: the first line of a file
/// outside the served tree (default /etc/passwd, or `--sentinel FILE`) must never come back.
enum SafetyChecks {
    static let all: [ProbeCheck] = [traversal, missingHost, absurd, survives]

    /// The spellings of `../` a server might decode into a parent directory (or an absolute path).
    static func traversalPaths(to absolute: String) -> [(String, String)] {
        let relative = String(absolute.drop { $0 == "/" })
        let depth = 16
        return [
            ("../", "/" + String(repeating: "../", count: depth) + relative),
            ("%2e%2e/", "/" + String(repeating: "%2e%2e/", count: depth) + relative),
            ("..%2f", "/" + String(repeating: "..%2f", count: depth) + relative),
            ("%2e%2e%2f", "/" + String(repeating: "%2e%2e%2f", count: depth) + relative),
            ("%252e%252e%252f (encoded twice)", "/" + String(repeating: "%252e%252e%252f", count: depth) + relative),
            ("an absolute path after /", "/" + absolute),
        ]
    }

    static let traversal = ProbeCheck(
        id: "safety.traversal", group: .safety, title: "No files from outside the served tree",
        expected: "none of 6 spellings of ../ returns the sentinel file (403, 404 or 400 are all fine)",
        why: "path traversal (CWE-22): decode the target once, refuse `..` segments, check the real path "
            + "lies under the root (lesson 4)"
    ) { context in
        guard let sentinel = context.sentinel else {
            return .skip("the sentinel file could not be read here (give one with --sentinel FILE)")
        }
        var leaks: [String] = []
        var evidence: [ProbeExchange] = []
        for (spelling, path) in traversalPaths(to: sentinel.path) {
            let (outcome, exchange) = context.exchange(
                "traversal: \(spelling)", context.request("GET", path, extra: ["Connection: close"]))
            if let response = outcome.response, bytes(response.body, contain: Array(sentinel.firstLine.utf8)) {
                leaks.append("\(spelling) → \(response.status)")
                evidence.append(exchange)
            }
        }
        if leaks.isEmpty { return .pass("6 spellings tried; the sentinel never came back") }
        return .fail("the sentinel's first line came back for: " + leaks.joined(separator: ", "), evidence)
    }

    static let missingHost = ProbeCheck(
        id: "safety.missing-host", group: .safety, title: "HTTP/1.1 without Host",
        expected: "400",
        why: "RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without a Host field"
    ) { context in
        let (outcome, exchange) = context.exchange("GET without Host", context.request("GET", "/", host: false))
        guard let response = outcome.response, response.status == 400 else {
            return .fail(outcome.summary, [exchange])
        }
        return .pass("400")
    }

    static let absurdRequests: [(String, [UInt8])] = [
        ("not HTTP at all", Array("HELLO THERE\r\n\r\n".utf8)),
        ("binary bytes", [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03, 0x0D, 0x0A, 0x0D, 0x0A]),
        (
            "a 100 KB target",
            Array(("GET /" + String(repeating: "A", count: 100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n").utf8)
        ),
    ]

    static let absurd = ProbeCheck(
        id: "safety.absurd", group: .safety, title: "Absurd request lines get 4xx",
        expected: "a 4xx answer to each of: not HTTP, binary bytes, a 100 KB target",
        why: "RFC 9112 §3: a malformed request line gets 400 (a too-long one 414); never a crash or a silent hang"
    ) { context in
        var problems: [String] = []
        var evidence: [ProbeExchange] = []
        var answers: [String] = []
        for (label, bytes) in absurdRequests {
            let (outcome, exchange) = context.exchange(label, bytes)
            if let response = outcome.response, (400..<500).contains(response.status) {
                answers.append("\(label): \(response.status)")
            } else {
                problems.append("\(label): \(outcome.summary)")
                evidence.append(exchange)
            }
        }
        return problems.isEmpty
            ? .pass(answers.joined(separator: ", ")) : .fail(problems.joined(separator: "; "), evidence)
    }

    static let survives = ProbeCheck(
        id: "safety.survives", group: .safety, title: "Still serving after the hostile requests",
        expected: "GET of a file: 200",
        why: "one bad request must cost one connection, not the server"
    ) { context in
        let (outcome, exchange) = context.exchange(
            "GET after the hostile requests", context.request("GET", context.file))
        guard let response = outcome.response, response.status == 200 else { return .fail(outcome.summary, [exchange]) }
        return .pass("200")
    }
}
