/// The first line of text protocols over TCP, as tcpdump's txtproto_print and ssh_print show
/// them, chosen by port the way print-tcp.c chooses.
extension TcpdumpPrinter {
    static let httpMethods: Set<String> = [
        "GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE", "MKCOL", "TRACE",
        "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT",
        "OPTIONS", "CHECKIN", "PROPFIND", "CHECKOUT", "CKECKOUT", "PROPPATCH", "SUBSCRIBE", "MKACTIVITY",
        "MKWORKSPACE", "UNSUBSCRIBE", "RPC_IN_DATA", "RPC_OUT_DATA", "VERSION-CONTROL", "BASELINE-CONTROL",
    ]
    static let rtspMethods: Set<String> = [
        "DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS", "PAUSE", "PLAY", "RECORD", "REDIRECT", "SETUP",
        "SET_PARAMETER", "TEARDOWN",
    ]

    /// Whether `printTCPApplication` does anything for a segment to or from `port` (the ports
    /// it names below; the common-line fast path leaves their segments to it).
    static func hasTextDecoder(_ port: UInt16) -> Bool {
        switch port {
        case 21, 22, 23, 25, 43, 80, 139, 179, 445, 554, 1723, 6379, 6633, 6653, 8080, 8554, 10288: true
        default: false
        }
    }

    /// Ports whose payload tcpdump hands to a decoder netlab does not have: netlab prints
    /// nothing after `length N` for them (as for any other port).
    mutating func printTCPApplication(
        _ payload: ByteView, length: Int, sourcePort: UInt16, destinationPort: UInt16,
        into out: inout TextBuffer
    ) throws(Truncated) {
        func either(_ port: UInt16) -> Bool { sourcePort == port || destinationPort == port }
        // tcpdump's order matters when both ports are known: the first match wins.
        if either(23) { return }  // telnet: options only with -v
        if either(25) {
            try printText(payload, length: length, name: "SMTP", layer: "smtp", methods: nil, into: &out)
        } else if either(43) {
            try printText(payload, length: length, name: "WHOIS", layer: "whois", methods: nil, into: &out)
        } else if either(179) || either(1723) || either(6379) {
            return  // BGP, PPTP, RESP: not decoded by netlab
        } else if either(22) {
            try printSSHVersion(payload, length: length, into: &out)
        } else if either(139) || either(445) || either(10288) || either(6633) || either(6653) {
            return  // NetBIOS, SMB, BEEP, OpenFlow: not decoded by netlab
        } else if either(21) {
            try printText(payload, length: length, name: "FTP", layer: "ftp", methods: nil, into: &out)
        } else if either(80) || either(8080) {
            try printText(payload, length: length, name: "HTTP", layer: "http", methods: Self.httpMethods, into: &out)
        } else if either(554) || either(8554) {
            try printText(payload, length: length, name: "RTSP", layer: "rtsp", methods: Self.rtspMethods, into: &out)
        }
    }

    /// txtproto_print: with `methods`, print only a request or status line; without, always.
    private mutating func printText(
        _ payload: ByteView, length: Int, name: StaticString, layer: StaticString, methods: Set<String>?,
        into out: inout TextBuffer
    ) throws(Truncated) {
        self.layer = layer
        out.append(": ")
        var printThis = methods == nil
        if let methods {
            var (next, token) = Self.fetchToken(payload, from: 0, length: length)
            if next != 0 {
                if methods.contains(token.uppercased()) { printThis = true }
                (next, token) = Self.fetchToken(payload, from: next, length: length)
                if next != 0 {
                    let digits = Array(token.utf8)
                    if digits.count == 3 && digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { printThis = true }
                }
            }
        }
        out.append(name)
        guard printThis else { return }
        if verbosity > 0 {
            out.append(", length: ")
            out.append(length)
            var index = 0
            while index < length {
                let end = try printTextLine(payload, prefix: "\n\t", from: index, length: length, into: &out)
                if end == 0 { break }
                index = end
            }
        } else {
            _ = try printTextLine(payload, prefix: ": ", from: 0, length: length, into: &out)
        }
    }

    /// Prints one CRLF- or LF-terminated line of printable text; returns the index after it,
    /// or 0 when the bytes are not a text line (then prints nothing, or the unterminated rest
    /// followed by a truncation mark).
    private func printTextLine(
        _ payload: ByteView, prefix: StaticString, from start: Int, length: Int, into out: inout TextBuffer
    ) throws(Truncated) -> Int {
        var index = start
        while index < length {
            let byte = try payload.u8(index).orTruncated()
            if byte == 0x0A {
                appendLine(payload, prefix: prefix, from: start, to: index, into: &out)
                return index + 1
            } else if byte == 0x0D {
                if index + 1 >= length { return 0 }
                if try payload.u8(index + 1).orTruncated() == 0x0A {
                    appendLine(payload, prefix: prefix, from: start, to: index, into: &out)
                    return index + 2
                }
                return 0
            } else if (byte < 0x20 || byte > 0x7E) && byte != 0x09 {
                return 0
            }
            index += 1
        }
        appendLine(payload, prefix: prefix, from: start, to: index, into: &out)
        out.append(" [|")
        out.append(layer)
        out.append("]")
        return 0
    }

    private func appendLine(
        _ payload: ByteView, prefix: StaticString, from start: Int, to end: Int, into out: inout TextBuffer
    ) {
        out.append(prefix)
        out.append(bytes: payload.dropFirst(start).prefix(end - start).base)
    }

    /// tcpdump's fetch_token: a printable token of at most 127 bytes, then the whitespace after
    /// it up to the end of the line. Returns (index after, token) or (0, "") when there is none.
    static func fetchToken(_ payload: ByteView, from start: Int, length: Int) -> (Int, String) {
        var index = start
        var token: [UInt8] = []
        while index < length {
            guard let byte = payload.u8(index) else { return (0, "") }
            if byte >= 0x80 { return (0, "") }
            if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A { break }
            if byte < 0x20 || byte == 0x7F { return (0, "") }
            if token.count + 2 > 129 { return (0, "") }
            token.append(byte)
            index += 1
        }
        if token.isEmpty { return (0, "") }
        while index < length {
            guard let byte = payload.u8(index) else { break }
            if byte == 0x0D || byte == 0x0A { break }
            if byte < 0x20 || byte > 0x7E { break }
            if byte != 0x20 && byte != 0x09 { break }
            index += 1
        }
        return (index, String(decoding: token, as: UTF8.self))
    }

    /// ssh_print: the version banner (RFC 4253 §4.2) when a segment starts with one.
    private mutating func printSSHVersion(_ payload: ByteView, length: Int, into out: inout TextBuffer)
        throws(Truncated)
    {
        layer = "ssh"
        let magic: [UInt8] = [0x53, 0x53, 0x48, 0x2D]  // "SSH-"
        for (index, expected) in magic.enumerated() where try payload.u8(index).orTruncated() != expected {
            return
        }
        var index = 4
        while index < length {
            let byte = try payload.u8(index).orTruncated()
            if byte == 0x0A {
                break
            } else if byte == 0x0D {
                if index + 1 >= length { return }
                if try payload.u8(index + 1).orTruncated() == 0x0A { break }
                return
            } else if byte < 0x20 || byte > 0x7E {
                return
            }
            index += 1
        }
        if index >= length { return }
        out.append(": SSH: ")
        out.append(bytes: payload.prefix(index).base)
    }
}
