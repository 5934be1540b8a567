@testable import Inspect

/// The reviewed list of ways netlab's strict parser and the references may disagree, each with
/// the reason: which RFC rule decides, and who is lenient or stricter. A disagreement is
/// classified from the bytes, the verdicts and the references' own error messages, never from
/// what the generator meant to produce. A disagreement no rule explains fails the test.
enum HTTPKnownDifferences {
    typealias Result = HTTPDifferentialTests.Result

    struct Rule: Sendable {
        var name: String
        var reference: String?
        var applies: @Sendable (_ kind: HTTPParser.Kind, _ bytes: [UInt8], _ netlab: Result, _ theirs: Result) -> Bool
    }

    static func text(_ bytes: [UInt8]) -> String { HTTPDifferentialTests.latin1(bytes) }

    /// Every reviewed class. Names say who is right by which rule.
    static let rules: [Rule] = [
        Rule(
            name: "llhttp knows a fixed list of methods; RFC 9110 §9.1: a method is any token (netlab right)",
            reference: "llhttp"
        ) { _, _, netlab, theirs in
            netlab.verdict != "reject" && theirs.error.contains("Invalid method")
        },
        Rule(
            name: "httptools has no end-of-stream call, so a close-delimited response body never completes "
                + "(RFC 9112 §6.3 item 8; harness limit)",
            reference: "llhttp"
        ) { kind, _, netlab, theirs in
            kind == .response && netlab.verdict == "accept" && theirs.verdict == "incomplete"
                && theirs.messages.filter(\.complete).count == netlab.messages.count - 1
        },
        Rule(
            name: "llhttp rejects versions other than 0.9/1.0/1.1/2.0; RFC 9112 §2.3 reads any HTTP/DIGIT.DIGIT "
                + "and RFC 9110 §2.5 lets the server answer 505 (netlab right)",
            reference: "llhttp"
        ) { _, _, netlab, theirs in
            netlab.verdict != "reject" && theirs.error.contains("Invalid HTTP version")
        },
        Rule(
            name: "llhttp rejects BWS around ';' in chunk extensions; RFC 9112 §7.1.1 allows it (netlab right)",
            reference: "llhttp"
        ) { _, bytes, netlab, theirs in
            netlab.verdict != "reject" && theirs.error.contains("chunk extension")
        },
        Rule(
            name: "llhttp rejects a repeated identical Content-Length; RFC 9110 §8.6 lets a recipient accept it "
                + "(netlab accepts)",
            reference: "llhttp"
        ) { _, _, netlab, theirs in
            netlab.verdict != "reject" && theirs.error.contains("Duplicate Content-Length")
        },
        Rule(
            name: "h11 keeps one of identical repeated Content-Length fields; netlab keeps both as sent "
                + "(RFC 9110 §8.6 allows either)",
            reference: "h11"
        ) { _, _, netlab, theirs in
            // Everything else must agree.
            HTTPDifferentialTests.difference(withoutContentLength(netlab), withoutContentLength(theirs)) == nil
        },
        Rule(
            name: "h11 reads a Content-Length body on CONNECT; RFC 9110 §9.3.6: a CONNECT request has no content "
                + "(netlab, like llhttp, tunnels after the head)",
            reference: "h11"
        ) { kind, _, netlab, theirs in
            kind == .request && netlab.upgrade && netlab.messages.last?.method == "CONNECT"
                && netlab.messages.last?.body == [] && theirs.messages.last?.body != []
        },
        Rule(
            name: "llhttp accepts an HTTP/0.9 request line (no version); RFC 9112 §3 requires HTTP-version "
                + "(netlab strict rejects, lenient warns)",
            reference: "llhttp"
        ) { _, _, netlab, _ in
            netlab.error.hasPrefix("missing_version")
        },
        Rule(
            name: "llhttp hands over at the head of an Upgrade request with a body; RFC 9110 §7.8: the switch "
                + "comes after the whole request (netlab reads the body)",
            reference: nil
        ) { kind, _, netlab, theirs in
            kind == .request && netlab.upgrade && theirs.upgrade && netlab.messages.last?.body != []
                && theirs.messages.last?.body == []
        },
        Rule(
            name: "h11 reads a bare LF as a line end (RFC 9112 §2.2: MAY); netlab's strict mode (servers) "
                + "requires CRLF, lenient mode warns",
            reference: "h11"
        ) { _, _, netlab, _ in
            netlab.error.hasPrefix("bare_lf") || netlab.error.hasPrefix("mixed_line_endings")
        },
        Rule(
            name: "h11 unfolds obs-fold; RFC 9112 §5.2 lets a server reject it (netlab strict rejects, "
                + "lenient unfolds and warns)",
            reference: "h11"
        ) { _, _, netlab, _ in
            netlab.error.hasPrefix("obs_fold")
        },
        Rule(
            name: "h11 accepts control characters in field values and reason phrases; RFC 9110 §5.5 and RFC 9112 "
                + "§4 exclude them (netlab right)",
            reference: "h11"
        ) { _, _, netlab, _ in
            netlab.error.hasPrefix("bad_field_value") || netlab.error.hasPrefix("bad_status: control")
        },
        Rule(
            name: "h11 frames by Transfer-Encoding when Content-Length is also present; RFC 9112 §6.1 lets a "
                + "server reject it (netlab strict rejects, lenient warns)",
            reference: "h11"
        ) { _, _, netlab, _ in
            netlab.error.hasPrefix("content_length_with_transfer_encoding")
        },
        Rule(
            name: "h11 rejects empty lines before a start line; RFC 9112 §2.2: a server SHOULD ignore them "
                + "(netlab skips and counts them)",
            reference: "h11"
        ) { _, _, _, theirs in
            theirs.error.contains("no request line received") || theirs.error.contains("no response line received")
        },
        Rule(
            name: "h11 requires Host in HTTP/1.1 requests (RFC 9112 §3.2); netlab leaves that check to its server, "
                + "which answers 400",
            reference: "h11"
        ) { _, _, _, theirs in
            theirs.error.contains("Missing mandatory Host")
        },
        Rule(
            name: "h11 supports no transfer coding but chunked; RFC 9112 §6.1 allows 'gzip, chunked' (netlab right)",
            reference: "h11"
        ) { _, _, netlab, theirs in
            netlab.verdict != "reject" && theirs.error.contains("Only Transfer-Encoding: chunked")
        },
        Rule(
            name: "h11 accepts whitespace after a chunk size; RFC 9112 §7.1 has none without an extension "
                + "(netlab right, as llhttp)",
            reference: "h11"
        ) { _, _, netlab, _ in
            netlab.error.hasPrefix("bad_chunk: whitespace after chunk size")
        },
        Rule(
            name: "h11 reads HTTP only; netlab (like llhttp) reads RTSP/1.0 and ICE/1.0 start lines, which its "
                + "server answers with 505",
            reference: "h11"
        ) { _, bytes, netlab, theirs in
            netlab.verdict != "reject" && theirs.error.contains("illegal request line")
                && (text(bytes).contains(" ICE/1.0") || text(bytes).contains(" RTSP/1.0"))
        },
        Rule(
            name: "h11 as a client accepts 101 or a tunnel only after proposing one; this harness's client "
                + "never does",
            reference: "h11"
        ) { _, _, netlab, theirs in
            netlab.upgrade && (theirs.error.contains("SWITCH") || theirs.error.contains("SWITCHED_PROTOCOL"))
        },
        Rule(
            name: "the stream is cut: netlab rejects as soon as the bytes so far cannot be valid, the reference "
                + "waits for the rest of the line",
            reference: nil
        ) { _, _, netlab, theirs in
            netlab.verdict == "reject" && theirs.verdict == "incomplete"
        },
        Rule(
            name: "the stream is cut: the reference rejects at the first bad byte, netlab judges a header line "
                + "when its end arrives",
            reference: nil
        ) { _, _, netlab, theirs in
            netlab.verdict == "incomplete" && theirs.verdict == "reject"
        },
        Rule(
            name: "the stream ends after an interim 1xx response: h11 waits for the final one, netlab reports "
                + "the 1xx as a complete message (RFC 9110 §15.2)",
            reference: "h11"
        ) { kind, _, netlab, theirs in
            kind == .response && netlab.verdict == "accept" && theirs.verdict == "incomplete"
                && (netlab.messages.last?.status ?? 0) / 100 == 1
        },
        Rule(
            name: "llhttp ends the connection after a 1xx that is HTTP/1.0 or says Connection: close; RFC 9110 "
                + "§15.2: a 1xx is interim and the final response follows (netlab reads on)",
            reference: "llhttp"
        ) { kind, _, netlab, theirs in
            kind == .response && theirs.error.contains("Data after")
                && netlab.messages.contains { ($0.status ?? 0) / 100 == 1 }
        },
        Rule(
            name: "h11 never keeps an HTTP/1.0 connection open; RFC 9112 §9.3 keeps it with Connection: "
                + "keep-alive (netlab reads the next request)",
            reference: "h11"
        ) { _, bytes, _, theirs in
            theirs.error.contains("Got data when expecting EOF") && text(bytes).lowercased().contains("keep-alive")
        },
        Rule(
            name: "the references accept an empty chunk extension ';'; RFC 9112 §7.1.1 requires a name after "
                + "';' (netlab strict rejects)",
            reference: nil
        ) { _, _, netlab, _ in
            netlab.error.hasPrefix("bad_chunk: empty chunk extension name")
        },
        Rule(
            name: "llhttp treats only HTTP/1.x as persistent and refuses what follows an HTTP/2.0 (or 0.9) "
                + "message; netlab reads on (its server answers 505 and closes)",
            reference: "llhttp"
        ) { _, _, netlab, theirs in
            theirs.error.contains("Data after") && netlab.messages.contains { !$0.version.hasPrefix("1.") }
        },
    ]

    static func withoutContentLength(_ result: Result) -> Result {
        var copy = result
        for index in copy.messages.indices {
            copy.messages[index].headers.removeAll { $0[0].lowercased() == "content-length" }
        }
        return copy
    }

    static func classify(
        reference: String, kind: HTTPParser.Kind, bytes: [UInt8], netlab: Result, theirs: Result
    ) -> String? {
        rules.first { ($0.reference == nil || $0.reference == reference) && $0.applies(kind, bytes, netlab, theirs) }?
            .name
    }
}
