import Inspect
import Sockets

/// TCP delivers a byte stream, not messages: a request may arrive a byte at a time, two may
/// arrive in one read, a body may come later than its head (lesson 9). A server that reads
/// once per request (the classic single-recv() bug) fails these.
enum ByteStreamChecks {
    static let all: [ProbeCheck] = [oneByte, pipelined, bodyAfterPause, largeHeader]

    static let oneByte = ProbeCheck(
        id: "stream.one-byte", group: .stream, title: "A request in 1-byte segments",
        expected: "200, however the request is cut (here: one byte per segment, 5 ms apart)",
        why: "lesson 9: recv() returns what has arrived, not a message; read until the blank line"
    ) { context in
        guard let connection = context.connect("the request one byte at a time") else {
            return .fail("could not connect")
        }
        defer { connection.close() }
        let request = context.request("GET", context.file)
        guard connection.sendSlowly(request, pause: 0.005) else {
            return .fail("the server closed while the request was arriving", [connection.exchange()])
        }
        let outcome = connection.readResponse(to: "GET", deadline: context.deadline)
        guard let response = outcome.response, response.status == 200 else {
            return .fail("\(outcome.summary) after \(request.count) one-byte segments", [connection.exchange()])
        }
        return .pass("200 after \(request.count) one-byte segments")
    }

    static let pipelined = ProbeCheck(
        id: "stream.pipelined", group: .stream, title: "Two pipelined requests in one segment",
        expected: "two responses, in order: 200 for the file, then 404 for a missing path",
        why: "RFC 9112 §9.3.2: a server reads requests one after another from the stream and answers in order"
    ) { context in
        guard let connection = context.connect("two requests in one send()") else { return .fail("could not connect") }
        defer { connection.close() }
        let missing = "/netlab-probe-missing-\(UInt32.random(in: 0...UInt32.max))"
        _ = connection.send(
            context.request("GET", context.file) + context.request("GET", missing), expecting: ["GET", "GET"])
        let first = connection.readResponse(to: "GET", deadline: context.deadline)
        guard let one = first.response, one.status == 200 else {
            return .fail("first response: \(first.summary)", [connection.exchange()])
        }
        let second = connection.readResponse(to: "GET", deadline: context.deadline)
        guard let two = second.response, two.status == 404 else {
            return .fail("first 200, then \(second.summary) (expected 404 for \(missing))", [connection.exchange()])
        }
        return .pass("\(one.status) then \(two.status)")
    }

    static let bodyAfterPause = ProbeCheck(
        id: "stream.body-after-pause", group: .stream, title: "A body sent after a pause",
        expected: "one answer to the POST (any status), its body consumed; the next GET on the connection gets 200",
        why: "RFC 9112 §6.3: Content-Length says how many body bytes follow the head, whenever they arrive"
    ) { context in
        guard let connection = context.connect("POST with a late body") else { return .fail("could not connect") }
        defer { connection.close() }
        let body = Array("name=ada&lang=swift".utf8)
        _ = connection.send(
            context.request(
                "POST", context.file,
                extra: ["Content-Type: application/x-www-form-urlencoded", "Content-Length: \(body.count)"]),
            expecting: ["POST"])
        sleep(seconds: 0.3)
        _ = connection.send(body, expecting: [])
        let first = connection.readResponse(to: "POST", deadline: context.deadline)
        guard let answer = first.response else {
            return .fail("to the POST: \(first.summary)", [connection.exchange()])
        }
        if !answer.head.keepAlive || connection.sawEnd {
            return .pass("\(answer.status) to the POST, then the server closed (allowed)")
        }
        _ = connection.send(context.request("GET", context.file))
        let second = connection.readResponse(to: "GET", deadline: context.deadline)
        guard let next = second.response, next.status == 200 else {
            return .fail(
                "\(answer.status) to the POST, then \(second.summary) to the GET that followed: "
                    + "the late body was read as a request", [connection.exchange()])
        }
        return .pass("\(answer.status) to the POST, then 200 to the next GET")
    }

    static let largeHeader = ProbeCheck(
        id: "stream.large-header", group: .stream, title: "A large header block (6 KiB)",
        expected: "200: a 6 KiB head spans several reads (browsers with cookies send this much)",
        why: "RFC 9112 §5: the head ends at the empty line, not at the end of the first read"
    ) { context in
        let fields = (0..<20).map { "X-Probe-\($0): " + String(repeating: "abcdefghij", count: 30) }
        let (outcome, exchange) = context.exchange(
            "a 6 KiB header block", context.request("GET", context.file, extra: fields))
        guard let response = outcome.response, response.status == 200 else {
            return .fail("\(outcome.summary) to a \(exchange.sent.count)-byte request head", [exchange])
        }
        return .pass("200 to a \(exchange.sent.count)-byte request head")
    }
}
