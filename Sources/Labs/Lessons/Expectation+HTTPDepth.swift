import Inspect

/// The checks of lessons 15–17 (HTTP in depth, bytes and text, concurrency measured). The kinds
/// are declared with the others in `Expectation.Kind`; their arguments, names and verdicts live
/// here and in Expectation+Text.swift and Expectation+Overlap.swift.
extension Expectation {
    /// What is wrong with the argument of a lesson 15–17 kind, if anything.
    func depthArgumentProblem(_ words: [String]) -> String? {
        switch kind {
        case .cookieReturned:
            return argument.map { "cookie-returned takes no argument, not '\($0)'" }
        case .utf8Text:
            return words.count == 1 && ["request", "response"].contains(words[0])
                ? nil : "utf8-text takes request or response"
        case .servedOverlapping:
            guard let argument else { return nil }
            guard let count = Int(argument), count >= 1 else {
                return "served-overlapping takes a count of at least 1, not '\(argument)'"
            }
            return nil
        default:
            return nil
        }
    }

    var depthSummary: String {
        switch kind {
        case .cookieReturned: "a cookie the server set, sent back by the client (会话, session)"
        case .utf8Text: "a \(argument ?? "message") body with non-ASCII text in UTF-8, labelled charset=utf-8 (编码)"
        case .servedOverlapping: "\(number) connections served at the same time, their responses interleaved (并发)"
        default: kind.rawValue
        }
    }

    func evaluateDepth(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        switch kind {
        case .cookieReturned: evaluateCookie(facts)
        case .utf8Text: evaluateText(facts)
        case .servedOverlapping: evaluateOverlap(facts)
        default: (false, "not a lesson 15–17 check")
        }
    }

    /// The `name=value` a Set-Cookie sets (its attributes dropped), or the pairs a Cookie carries.
    static func cookiePairs(_ value: String, firstOnly: Bool) -> [String] {
        let pairs = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        return (firstOnly ? Array(pairs.prefix(1)) : pairs).filter { $0.contains("=") }
    }

    /// A request that carries, in its Cookie header, a `name=value` some earlier response set
    /// with Set-Cookie: the client kept the server's state and brought it back (RFC 6265 §5.4).
    func evaluateCookie(_ facts: CaptureFacts) -> (passed: Bool, found: String) {
        var set: [(pair: String, frame: Int, stream: Int)] = []
        var sentBack: [String] = []
        let messages = facts.http.filter { !$0.isMalformed && $0.head != nil }.sorted { $0.firstFrame < $1.firstFrame }
        for message in messages {
            let head = message.head!
            if message.kind == .response {
                for value in head.values("Set-Cookie") {
                    for pair in Self.cookiePairs(value, firstOnly: true) {
                        set.append((pair, message.firstFrame, message.stream))
                    }
                }
                continue
            }
            for pair in head.values("Cookie").flatMap({ Self.cookiePairs($0, firstOnly: false) }) {
                sentBack.append(pair)
                if let origin = set.first(where: { $0.pair == pair && $0.frame < message.firstFrame }) {
                    let request = "\(head.method ?? "?") \(head.target ?? "?")"
                    return (
                        true,
                        "stream \(message.stream): \(request) sent back Cookie \(pair), which stream \(origin.stream)'s "
                            + "Set-Cookie had set"
                    )
                }
            }
        }
        guard !set.isEmpty else { return (false, "no response set a cookie (no Set-Cookie header)") }
        let pairs = set.map(\.pair)
        var found = "\(set.count) Set-Cookie seen (\(pairs.prefix(4).joined(separator: ", ")))"
        if sentBack.isEmpty {
            found += ", but no request sent a cookie back: every visit looked like the first"
        } else {
            found += "; the cookies sent back (\(sentBack.prefix(4).joined(separator: ", "))) were never set before"
        }
        return (false, found)
    }
}
