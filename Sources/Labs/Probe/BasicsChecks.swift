import Inspect
import Sockets

/// The basics: what every answer must look like (RFC 9112 §4 status line, §6 framing, RFC 9110
/// §9.3.2 HEAD, §15.5.5 404), each judged on its own so one flaw fails one check.
enum BasicsChecks {
    static let all: [ProbeCheck] = [getFile, statusLine, strictSyntax, notFound, head, directory, http10]

    static let getFile = ProbeCheck(
        id: "basics.get-file", group: .basics, title: "GET of a file",
        expected: "200 with Content-Length (or chunked) that matches the body, and a Content-Type",
        why: "RFC 9112 §6.3: a keep-alive client knows where a body ends only from its length; "
            + "RFC 9110 §8.3: Content-Type tells it what the bytes are (lesson 3)"
    ) { context in
        let connection = context.connect("GET of a file")
        guard let connection else { return .fail("could not connect") }
        defer { connection.close() }
        _ = connection.send(context.request("GET", context.file))
        let outcome = connection.readResponse(to: "GET", deadline: context.deadline)
        guard let response = outcome.response else { return .fail(outcome.summary, [connection.exchange()]) }
        var problems: [String] = []
        if response.status != 200 { problems.append("status \(response.status), not 200") }
        switch response.framing {
        case .silence, .close:
            problems.append("no Content-Length and no chunked encoding: the body's end is unknown")
        case .contentLength:
            let extra = connection.extraBytes(within: 0.2)
            if !extra.isEmpty { problems.append("\(extra.count) bytes arrived after the Content-Length's end") }
        case .chunked, .none: break
        }
        if !response.head.has("Content-Type") { problems.append("no Content-Type") }
        let summary = "\(outcome.summary), body \(response.body.count) bytes (\(describe(response.framing)))"
        return problems.isEmpty
            ? .pass(summary) : .fail(summary + ": " + problems.joined(separator: "; "), [connection.exchange()])
    }

    static let statusLine = ProbeCheck(
        id: "basics.status-line", group: .basics, title: "Status line form",
        expected: "HTTP/1.x, a space, three digits, a space, a reason (may be empty)",
        why: "RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]"
    ) { context in
        let (outcome, exchange) = context.exchange("GET /", context.request("GET", "/", extra: ["Connection: close"]))
        let line = exchange.received.prefix { $0 != 0x0A }
        let text = String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        guard !exchange.received.isEmpty else { return .fail(outcome.summary, [exchange]) }
        return isStatusLine(text)
            ? .pass("\"\(text)\"") : .fail("the first line is \(PayloadText.quote(Array(text.utf8)))", [exchange])
    }

    static let strictSyntax = ProbeCheck(
        id: "basics.crlf", group: .basics, title: "CRLF line endings and strict syntax",
        expected: "every line of the head ends in \\r\\n; the response parses in strict mode",
        why: "RFC 9112 §2.2: lines end in CRLF; a strict client (or proxy) refuses a bare LF"
    ) { context in
        let (outcome, exchange) = context.exchange(
            "GET of a file", context.request("GET", context.file, extra: ["Connection: close"]))
        guard outcome.response != nil else { return .fail(outcome.summary, [exchange]) }
        var strict = HTTPParser(kind: .response)
        strict.expectResponse(to: "GET")
        var events = strict.parse(exchange.received)
        events += strict.finish()
        for case .failed(let error) in events {
            return .fail(
                "strict parsing stops at byte \(error.offset): \(error.reason) (\(error.rule)) in "
                    + PayloadText.quote(error.line, limit: 80), [exchange])
        }
        return .pass("the response parses in strict mode")
    }

    static let notFound = ProbeCheck(
        id: "basics.not-found", group: .basics, title: "404 for a missing file, with a body",
        expected: "404 and a short body that says so",
        why: "RFC 9110 §15.5.5; a body lets a person reading the page see what happened (lesson 3)"
    ) { context in
        let path = "/netlab-probe-missing-\(UInt32.random(in: 0...UInt32.max)).html"
        let (outcome, exchange) = context.exchange("GET of a missing file", context.request("GET", path))
        guard let response = outcome.response else { return .fail(outcome.summary, [exchange]) }
        if response.status != 404 { return .fail("\(outcome.summary) for \(path)", [exchange]) }
        if response.body.isEmpty { return .fail("404 with an empty body", [exchange]) }
        return .pass("404 with \(response.body.count) bytes of body")
    }

    static let head = ProbeCheck(
        id: "basics.head", group: .basics, title: "HEAD without a body",
        expected: "the same status and Content-Length as GET, and not one byte of body",
        why: "RFC 9110 §9.3.2: a response to HEAD has no content; body bytes would be read as the next response"
    ) { context in
        guard let connection = context.connect("HEAD of a file") else { return .fail("could not connect") }
        defer { connection.close() }
        _ = connection.send(context.request("HEAD", context.file), expecting: ["HEAD"])
        let outcome = connection.readResponse(to: "HEAD", deadline: context.deadline)
        guard let response = outcome.response else { return .fail(outcome.summary, [connection.exchange()]) }
        let extra = connection.extraBytes(within: 0.3)
        if !extra.isEmpty {
            return .fail("\(extra.count) bytes followed the head (a body sent for HEAD)", [connection.exchange()])
        }
        if response.status != 200 { return .fail("\(outcome.summary), not 200", [connection.exchange()]) }
        return .pass("\(outcome.summary), no body")
    }

    static let directory = ProbeCheck(
        id: "basics.directory", group: .basics, title: "A directory",
        expected: "200 (an index or a listing) or a redirect with Location",
        why: "lesson 4: a static server maps directories to index.html or a listing"
    ) { context in
        let path = context.resources.directory
        let (outcome, exchange) = context.exchange("GET of a directory", context.request("GET", path))
        guard let response = outcome.response else { return .fail(outcome.summary, [exchange]) }
        switch response.status {
        case 200: return .pass("\(path): 200, \(response.body.count) bytes")
        case 301, 302, 307, 308:
            guard let location = response.head.values("Location").first else {
                return .fail("\(path): \(response.status) without a Location", [exchange])
            }
            return .pass("\(path): \(response.status) to \(location)")
        default: return .fail("\(path): \(outcome.summary)", [exchange])
        }
    }

    static let http10 = ProbeCheck(
        id: "basics.http10", group: .basics, title: "HTTP/1.0, then close",
        expected: "a response, then the server closes the connection",
        why: "RFC 9112 §9.3: an HTTP/1.0 request without keep-alive means one response per connection"
    ) { context in
        guard let connection = context.connect("HTTP/1.0 GET") else { return .fail("could not connect") }
        defer { connection.close() }
        _ = connection.send(context.request("GET", context.file, version: "HTTP/1.0"))
        let outcome = connection.readResponse(to: "GET", deadline: context.deadline)
        guard let response = outcome.response else { return .fail(outcome.summary, [connection.exchange()]) }
        guard connection.waitForClose(deadline: context.deadline) else {
            return .fail(
                "\(outcome.summary), then the connection stayed open \(context.timeout) s", [connection.exchange()])
        }
        return .pass("\(response.status), then closed")
    }

    static func isStatusLine(_ line: String) -> Bool {
        let bytes = Array(line.utf8)
        guard bytes.count >= 12, line.hasPrefix("HTTP/1."), bytes[7] == 0x30 || bytes[7] == 0x31, bytes[8] == 0x20
        else { return false }
        guard bytes[9...11].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), bytes[9] >= 0x31, bytes[9] <= 0x35 else {
            return false
        }
        return bytes.count == 12 || bytes[12] == 0x20
    }

    static func describe(_ framing: ProbeResponse.Framing) -> String {
        switch framing {
        case .contentLength: "Content-Length"
        case .chunked: "chunked"
        case .close: "ended by the close"
        case .silence: "no length; ended only by a silence"
        case .none: "no body"
        }
    }
}
