import Inspect

/// The HTTP checks that pair requests with their responses: HTTP/1.1 answers a connection's
/// requests in order (RFC 9112 §9.3.2), so the k-th response on a connection answers its k-th
/// request.
extension Expectation {
    /// `http-exchange GET / 200 HTTP/1.1` → ("GET /", "200 (HTTP/1.1)").
    var exchangeWords: (request: String, response: String) {
        let words = argument?.split(separator: " ").map(String.init) ?? []
        let request = words.prefix(2).joined(separator: " ")
        let response = words.count > 2 ? words[2] + (words.count > 3 ? " in an \(words[3]) status line" : "") : "?"
        return (request.isEmpty ? "a request" : request, response)
    }

    /// Each connection's requests with the response that answered each (nil: none did).
    typealias Exchange = (request: HTTPConversation.Message, response: HTTPConversation.Message?)

    static func exchanges(_ messages: [HTTPConversation.Message]) -> [Int: [Exchange]] {
        var requests: [Int: [HTTPConversation.Message]] = [:], responses: [Int: [HTTPConversation.Message]] = [:]
        for message in messages {
            if message.kind == .request {
                requests[message.stream, default: []].append(message)
            } else if !(100..<200).contains(message.head?.status ?? 0) {
                // Interim (1xx) responses come before the final one and answer nothing alone.
                responses[message.stream, default: []].append(message)
            }
        }
        return requests.mapValues { list -> [Exchange] in
            let answers = responses[list[0].stream] ?? []
            return list.enumerated().map { index, request -> Exchange in
                (request, index < answers.count ? answers[index] : nil)
            }
        }
    }

    func evaluateExchange(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let words = argument?.split(separator: " ").map(String.init) ?? []
        guard words.count >= 3 else { return (false, "no request named") }
        var seen: [String] = []
        var verdict: String?
        let exchanges = Self.exchanges(facts.http)
        for stream in exchanges.keys.sorted() {
            for (request, response) in exchanges[stream]! {
                let method = request.head?.method ?? "?", target = request.head?.target ?? "?"
                let status = response?.head?.status
                let answer: String
                if let response, let status, !response.isMalformed {
                    answer = "\(status) (\(response.head!.version))"
                } else if request.isMalformed || !request.complete {
                    answer = "never answered: the request was \(request.isMalformed ? "malformed" : "never finished")"
                } else {
                    answer = "never answered"
                }
                seen.append("\(method) \(target) → \(answer)")
                guard method == words[0], target == words[1] else { continue }
                if let status, String(status) == words[2],
                    words.count < 4 || response?.head?.version.description == words[3]
                {
                    return (true, "stream \(stream): \(method) \(target) → \(answer)")
                }
                verdict = verdict ?? "stream \(stream): \(method) \(target) → \(answer)"
            }
        }
        var found = verdict ?? "no \(words[0]) \(words[1]) request"
        if verdict == nil {
            found += "; exchanges seen: \(seen.isEmpty ? "none" : seen.joined(separator: ", "))"
            let methods = seen.compactMap { $0.split(separator: " ").first.map(String.init) }
            if methods.contains(where: { $0 != words[0] && $0.lowercased() == words[0].lowercased() }) {
                found += " (method names are case-sensitive)"
            }
            found += Self.unfinishedRequest(facts, method: words[0], target: words[1])
        }
        return (false, found + Self.malformedNote(facts.http))
    }

    /// A request the client started but never finished is no HTTP message at all: find it in
    /// the client's bytes and say what is missing (the empty line that ends the head).
    static func unfinishedRequest(_ facts: CaptureFacts, method: String, target: String) -> String {
        let start = Array("\(method) \(target) ".utf8), end = Array("\r\n\r\n".utf8)
        for connection in facts.connections {
            let sent = connection.bytes[.client] ?? []
            guard sent.starts(with: start) else { continue }
            let headEnds = sent.indices.contains { sent[$0...].starts(with: end) }
            guard !headEnds else { continue }
            // Control characters shown escaped, as the lesson writes them.
            let line = String(decoding: sent.prefix(60), as: UTF8.self).unicodeScalars.map {
                $0 == "\r" ? "\\r" : $0 == "\n" ? "\\n" : String($0)
            }.joined()
            return "; stream \(connection.stream): the client sent \"\(line)\" but never the empty line "
                + "(\\r\\n\\r\\n) that ends the header section, so no request was whole"
        }
        return ""
    }

    /// `number` (at least 2) requests on one connection, each answered on it.
    func evaluateKeepAlive(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        let wanted = max(2, argument.flatMap { Int($0) } ?? 2)
        var most = (requests: 0, answered: 0, stream: -1)
        for (stream, pairs) in Self.exchanges(facts.http.filter { !$0.isMalformed }) {
            let answered = pairs.prefix { $0.response?.head?.status != nil }.count
            if (answered, pairs.count) > (most.answered, most.requests) { most = (pairs.count, answered, stream) }
        }
        let requests = "\(most.requests) request\(most.requests == 1 ? "" : "s")"
        guard most.stream >= 0 else { return (false, "no HTTP request") }
        var found = "at most \(requests) on one connection (stream \(most.stream)), \(most.answered) answered"
        if most.answered < most.requests { found += ": the server closed before answering the rest" }
        return (most.answered >= wanted, found)
    }
}
