/// Seeded generator of HTTP/1.x byte streams for the differential test: random tokens, targets,
/// versions, whitespace, line endings, Content-Length / chunked combinations, chunk extensions,
/// trailers, pipelined messages, and now and then one deliberate mistake (what a broken
/// student client or server sends). Same seed, same cases.
struct HTTPCaseGenerator {
    struct Case {
        var id: String
        var kind: HTTPParserKindName
        var bytes: [UInt8]
    }
    enum HTTPParserKindName: String { case request, response }

    /// SplitMix64: small, fast and the same on every platform.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        /// True with probability percent/100.
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    var random: Random
    init(seed: UInt64) { random = Random(state: seed) }

    static let tchars = Array("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    static let pathChars = Array("abcdefghijklmnopqrstuvwxyz0123456789-._~/?=&%+".utf8)
    static let valueChars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 -_.,;:=/\"()".utf8)

    mutating func token(_ lengths: ClosedRange<Int>) -> String {
        let count = lengths.lowerBound + random.below(lengths.count)
        return String(decoding: (0..<count).map { _ in random.pick(Self.tchars) }, as: UTF8.self)
    }

    mutating func string(_ alphabet: [UInt8], _ lengths: ClosedRange<Int>) -> String {
        let count = lengths.lowerBound + random.below(lengths.count)
        return String(decoding: (0..<count).map { _ in random.pick(alphabet) }, as: UTF8.self)
    }

    /// One mistake at a time keeps each disagreement attributable.
    enum Mistake: CaseIterable {
        case none, badMethodByte, badTargetByte, badVersion, lowercaseVersion, noVersion, wsBeforeColon, obsFold,
            controlInValue, emptyFieldName, bareLFLine, allLF, badContentLength, duplicateContentLength,
            conflictingContentLength, contentLengthAndChunked, badChunkSize, chunkNoCRLF, badTransferEncoding,
            closeThenMore, leadingEmptyLines, truncate, badStatus, noReasonSpace, spaceInFieldName, bareCR,
            unknownVersion, http10KeepAlive, obsFoldFirst, nulInTarget
    }

    mutating func nextCase(index: Int) -> Case {
        let isRequest = random.chance(60)
        // Most cases are well formed; the rest carry one mistake.
        let mistake: Mistake = random.chance(55) ? .none : random.pick(Mistake.allCases)
        let count = 1 + random.below(3)
        var bytes: [UInt8] = []
        for message in 0..<count {
            let last = message == count - 1
            let apply = mistake != .none && (message == count - 1 || random.chance(30))
            bytes +=
                isRequest
                ? request(mistake: apply ? mistake : .none, last: last)
                : response(mistake: apply ? mistake : .none, last: last)
            if apply && mistake == .closeThenMore { break }
        }
        if mistake == .truncate && bytes.count > 1 { bytes = Array(bytes.prefix(1 + random.below(bytes.count - 1))) }
        return Case(id: "gen:\(index)", kind: isRequest ? .request : .response, bytes: bytes)
    }

    mutating func fields(_ mistake: Mistake) -> [String] {
        var lines: [String] = []
        for _ in 0..<random.below(4) {
            var name = token(1...12)
            if ["content-length", "transfer-encoding", "connection", "upgrade", "host"].contains(name.lowercased()) {
                name = "X-" + name
            }
            let value = string(Self.valueChars, 0...20).trimmingCharacters(" ")
            let space = random.pick(["", " ", "  ", "\t"])
            let trailing = random.pick(["", "", " ", "\t "])
            lines.append(name + ":" + space + value + trailing)
        }
        switch mistake {
        case .wsBeforeColon: lines.append(token(1...8) + random.pick([" ", "\t", "  "]) + ": v")
        case .obsFold: lines.append("X-A: a"); lines.append(random.pick([" ", "\t", "  "]) + "folded")
        case .controlInValue:
            lines.append("X-C: a" + String(UnicodeScalar(random.pick([0, 1, 8, 0x0B, 0x1F, 0x7F]))) + "b")
        case .emptyFieldName: lines.append(": v")
        case .spaceInFieldName: lines.append("X A: v")
        case .bareCR: lines.append("X-R: a\rb")
        default: break
        }
        lines.shuffle(using: &random)
        return lines
    }

    /// Body framing: the header lines and the body bytes.
    mutating func framing(_ mistake: Mistake, allowClose: Bool) -> (fields: [String], body: [UInt8], chunked: Bool) {
        let body = Array(string(Self.valueChars, 0...40).utf8)
        var choice = random.below(allowClose ? 4 : 3)
        switch mistake {
        case .badContentLength, .duplicateContentLength, .conflictingContentLength: choice = 1
        case .contentLengthAndChunked, .badChunkSize, .chunkNoCRLF, .badTransferEncoding: choice = 2
        default: break
        }
        switch choice {
        case 1:
            var fields = ["Content-Length: \(body.count)"]
            switch mistake {
            case .badContentLength:
                fields = [
                    "Content-Length: " + random.pick(["+\(body.count)", "\(body.count)a", "", "0x1", "-1", "1 2"])
                ]
            case .duplicateContentLength: fields.append("Content-Length: \(body.count)")
            case .conflictingContentLength: fields.append("Content-Length: \(body.count + 1)")
            default: break
            }
            return (fields, body, false)
        case 2:
            var fields = ["Transfer-Encoding: chunked"]
            if mistake == .contentLengthAndChunked { fields.append("Content-Length: \(body.count)") }
            if mistake == .badTransferEncoding {
                fields = [
                    "Transfer-Encoding: " + random.pick(["chunked, gzip", "gzip", "chunked, chunked", "xchunked"])
                ]
            }
            var encoded: [UInt8] = []
            var rest = body[...]
            while !rest.isEmpty {
                let size = 1 + random.below(rest.count)
                var sizeLine = String(size, radix: 16, uppercase: random.chance(30))
                if random.chance(20) {
                    sizeLine += random.pick([";a", ";a=b", "; a=b", ";a=\"q s\"", ";a;b=c"])
                }
                if mistake == .badChunkSize && random.chance(50) {
                    sizeLine = random.pick(["-1", "zz", "1 ", " 1", "0x1"])
                }
                encoded += Array((sizeLine + "\r\n").utf8) + rest.prefix(size)
                encoded += Array((mistake == .chunkNoCRLF ? "XX" : "\r\n").utf8)
                rest = rest.dropFirst(size)
            }
            encoded += Array("0\r\n".utf8)
            if random.chance(25) { encoded += Array("Trailer-\(token(1...4)): v\r\n".utf8) }
            encoded += Array("\r\n".utf8)
            return (fields, encoded, true)
        case 3:
            return ([], body, false)  // response body until the connection closes
        default:
            return ([], [], false)
        }
    }

    mutating func request(mistake: Mistake, last: Bool) -> [UInt8] {
        var method =
            random.chance(70)
            ? random.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "SEARCH", "QUERY", "LINK", "PROPFIND"])
            : token(1...10)
        if method == "CONNECT" { method = "GET" }
        var target = "/" + string(Self.pathChars, 0...20)
        var version = random.chance(85) ? "HTTP/1.1" : "HTTP/1.0"
        switch mistake {
        case .badMethodByte: method.insert(random.pick(["@", "(", "\"", ",", "\u{1}"]), at: method.startIndex)
        case .badTargetByte: target += random.pick(["\u{7F}", "\u{1}", "é"])
        case .nulInTarget: target += "\u{0}"
        case .badVersion: version = random.pick(["HTTP/1.x", "HTTP/11", "HTTP/1.1.1", "HTTP/", "HTTP1.1", "HTTPS/1.1"])
        case .lowercaseVersion: version = "http/1.1"
        case .unknownVersion: version = random.pick(["HTTP/1.2", "HTTP/2.0", "HTTP/3.0", "HTTP/0.9", "HTTP/9.9"])
        default: break
        }
        var lines = [method + " " + target + (mistake == .noVersion ? "" : " " + version)]
        if version == "HTTP/1.1" || random.chance(50) {
            lines.append("Host: " + random.pick(["example.com", "localhost:8080", "a"]))
        }
        let frame = framing(mistake, allowClose: false)
        lines += frame.fields
        lines += fields(mistake)
        if mistake == .closeThenMore { lines.append("Connection: close") }
        if mistake == .http10KeepAlive { lines.append("Connection: keep-alive") }
        return head(lines, mistake) + frame.body
            + (mistake == .closeThenMore ? Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8) : [])
    }

    mutating func response(mistake: Mistake, last: Bool) -> [UInt8] {
        var version = random.chance(85) ? "HTTP/1.1" : "HTTP/1.0"
        var status = random.pick(["200", "201", "204", "301", "304", "404", "500", "100", "418"])
        var reason = random.chance(10) ? "" : random.pick(["OK", "Not Found", "Whatever it is", "x"])
        switch mistake {
        case .badStatus: status = random.pick(["2000", "20", "abc", "-20", "2 0"])
        case .badVersion: version = random.pick(["HTTP/1.x", "HTTP/11", "HTTP/", "HTTPS/1.1"])
        case .lowercaseVersion: version = "http/1.1"
        case .unknownVersion: version = random.pick(["HTTP/1.2", "HTTP/2.0", "HTTP/0.9"])
        case .controlInValue where random.chance(30): reason += "\u{1}"
        default: break
        }
        var start = version + " " + status
        if mistake != .noReasonSpace || !reason.isEmpty { start += " " + reason }
        var lines = [start]
        let bodyless = status == "204" || status == "304" || status == "100"
        let frame =
            bodyless ? (fields: [String](), body: [UInt8](), chunked: false) : framing(mistake, allowClose: last)
        lines += frame.fields
        lines += fields(mistake)
        if mistake == .closeThenMore { lines.append("Connection: close") }
        return head(lines, mistake) + frame.body
            + (mistake == .closeThenMore ? Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8) : [])
    }

    /// The head with its line endings (CRLF unless the mistake says otherwise).
    mutating func head(_ lines: [String], _ mistake: Mistake) -> [UInt8] {
        let lfLine = mistake == .bareLFLine ? random.below(lines.count + 1) : -1
        var text =
            mistake == .leadingEmptyLines
            ? String(repeating: random.pick(["\r\n", "\n"]), count: 1 + random.below(2)) : ""
        if mistake == .obsFoldFirst {
            text += lines[0] + "\r\n folded\r\n"
        } else {
            text += lines[0] + (mistake == .allLF || lfLine == 0 ? "\n" : "\r\n")
        }
        for (index, line) in lines.enumerated().dropFirst() {
            text += line + (mistake == .allLF || lfLine == index ? "\n" : "\r\n")
        }
        text += mistake == .allLF || lfLine == lines.count ? "\n" : "\r\n"
        return Array(text.utf8)
    }
}

extension String {
    func trimmingCharacters(_ set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}

extension HTTPCaseGenerator.Random: RandomNumberGenerator {}
