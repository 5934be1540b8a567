import Inspect
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

/// Persistent connections and clients that leave: HTTP/1.1 keeps a connection for several
/// requests until someone says `close`, and a client may vanish at any moment without taking
/// the server with it (lessons 5 and 8).
enum ConnectionChecks {
    static let all: [ProbeCheck] = [keepAlive, connectionClose, afterReset, afterVanish]

    static let keepAlive = ProbeCheck(
        id: "connections.keep-alive", group: .connections, title: "Keep-alive reuse on HTTP/1.1",
        expected: "two GETs on one connection, both 200, the connection open in between",
        why: "RFC 9112 §9.3: HTTP/1.1 connections persist unless a side sends Connection: close (lesson 5)"
    ) { context in
        guard let connection = context.connect("two GETs on one connection") else { return .fail("could not connect") }
        defer { connection.close() }
        _ = connection.send(context.request("GET", context.file))
        let first = connection.readResponse(to: "GET", deadline: context.deadline)
        guard let one = first.response, one.status == 200 else {
            return .fail("first GET: \(first.summary)", [connection.exchange()])
        }
        if connection.sawEnd || !one.head.keepAlive {
            return .fail(
                "the server closed after the first response (Connection: \(one.head.values("Connection").joined(separator: ", ")))",
                [connection.exchange()])
        }
        guard connection.send(context.request("GET", context.file)) else {
            return .fail("the second request could not be sent: the server had closed", [connection.exchange()])
        }
        let second = connection.readResponse(to: "GET", deadline: context.deadline)
        guard let two = second.response, two.status == 200 else {
            return .fail("first 200, then \(second.summary) on the same connection", [connection.exchange()])
        }
        return .pass("200 twice on one connection (local port \(connection.localPort))")
    }

    static let connectionClose = ProbeCheck(
        id: "connections.close", group: .connections, title: "Connection: close honoured",
        expected: "the response, then the server closes",
        why: "RFC 9112 §9.6: after a response to a request with Connection: close the server closes"
    ) { context in
        guard let connection = context.connect("GET with Connection: close") else { return .fail("could not connect") }
        defer { connection.close() }
        _ = connection.send(context.request("GET", context.file, extra: ["Connection: close"]))
        let outcome = connection.readResponse(to: "GET", deadline: context.deadline)
        guard outcome.response != nil else { return .fail(outcome.summary, [connection.exchange()]) }
        guard connection.waitForClose(deadline: context.deadline) else {
            return .fail("the connection stayed open \(context.timeout) s after the response", [connection.exchange()])
        }
        return .pass("\(outcome.summary), then closed")
    }

    static let afterReset = ProbeCheck(
        id: "connections.after-reset", group: .connections, title: "Serves on after a client's RST",
        expected: "after a client resets mid-request, the next client gets 200",
        why: "lesson 8: recv() fails with ECONNRESET for that client only; the server must go on", destructive: true
    ) { context in
        guard let rude = context.connect("half a request, then RST") else { return .fail("could not connect") }
        _ = rude.send(Array(context.request("GET", context.file).prefix(12)), expecting: [])
        sleep(seconds: 0.1)
        let port = rude.localPort
        rude.reset()
        sleep(seconds: 0.2)
        let (outcome, exchange) = context.exchange("the next client", context.request("GET", context.file))
        let gone = ProbeExchange(
            label: "half a request, then RST", sent: rude.sent, received: rude.received, ending: "reset by the probe",
            localPort: port)
        guard let response = outcome.response, response.status == 200 else {
            return .fail("after the reset, the next client got: \(outcome.summary)", [gone, exchange])
        }
        return .pass("200 for the next client")
    }

    static let afterVanish = ProbeCheck(
        id: "connections.after-vanish", group: .connections, title: "Serves on after a client vanished mid-response",
        expected: "a client closes while a large response is still being sent; the next client gets 200",
        why: "the server's send() then fails with EPIPE and raises SIGPIPE, which kills a process that does not "
            + "ignore it (signal(SIGPIPE, SIG_IGN) or MSG_NOSIGNAL) — netlab's own servers once died this way",
        destructive: true
    ) { context in
        guard let large = context.resources.large else {
            return .skip(context.resources.note ?? "no large resource")
        }
        let target = context.target
        // A small receive window keeps most of the response in the server's hands when the client goes.
        let address =
            SocketAddress(numeric: target.host, port: target.port)
            ?? (try? Resolver.resolve(target.host, service: String(target.port), passive: false))?.first?.address
        guard let address, let socket = try? Socket(.tcp, family: address.family) else {
            return .fail("could not resolve \(target.host)")
        }
        socket.setOption(level: SOL_SOCKET, name: SO_RCVBUF, value: 4096)
        guard (try? socket.connect(to: address, timeout: context.timeout)) != nil else {
            return .fail("could not connect")
        }
        let request = context.request("GET", large)
        let port = socket.localPort
        try? socket.sendAll(request)
        var received: [UInt8] = []
        if (try? socket.wait(for: .readable, timeout: context.timeout)) == true,
            let chunk = try? socket.receive(limit: 2048)
        {
            received = chunk
        }
        sleep(seconds: 0.2)
        socket.close()  // unread data waiting: the kernel answers with RST
        sleep(seconds: 0.5)
        let gone = ProbeExchange(
            label: "GET \(large) (\(context.resources.largeSize) bytes), read \(received.count), then close",
            sent: request,
            received: received, ending: "closed by the probe mid-response", localPort: port)
        let (outcome, exchange) = context.exchange("the next client", context.request("GET", context.file))
        guard let response = outcome.response, response.status == 200 else {
            let hint =
                outcome.summary.contains("closed without") || exchange.localPort == 0
                ? " (the server is gone: did SIGPIPE kill it?)" : ""
            return .fail("after the vanished client, the next one got: \(outcome.summary)\(hint)", [gone, exchange])
        }
        return .pass(
            "200 for the next client (the vanished one left \(context.resources.largeSize - received.count) bytes unread)"
        )
    }
}
