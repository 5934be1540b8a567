/// A ladder (sequence) diagram of one TCP connection: the client's line on the left, the
/// server's on the right, one arrow per segment with its flags, relative seq/ack and length,
/// and each side's state changes written beside its line. Renders as terminal text or as a
/// self-contained HTML page with an SVG drawing.
public struct LadderDiagram {
    public struct Row: Sendable {
        public var frame: Int
        public var time: Double
        public var fromClient: Bool
        public var label: String
        public var clientState: TCPState?
        public var serverState: TCPState?
        public var note: String?
    }

    public let stream: Int
    public let client: String
    public let server: String
    public private(set) var rows: [Row] = []
    public var initialClientState: TCPState
    public var initialServerState: TCPState
    private var startTime: Double?

    public init(connection: TCPTracker.Connection) {
        stream = connection.stream
        client = connection.client
        server = connection.server
        initialClientState = connection.sawHandshake ? .closed : .established
        initialServerState = connection.sawHandshake ? .listen : .established
    }

    /// Words for a segment's flags: SYN, SYN+ACK, PSH+ACK, FIN+ACK, RST, …
    static func flagWords(_ flags: UInt8) -> String {
        let names: [(UInt8, String)] = [
            (0x02, "SYN"), (0x01, "FIN"), (0x04, "RST"), (0x08, "PSH"), (0x20, "URG"), (0x10, "ACK"), (0x40, "ECE"),
            (0x80, "CWR"),
        ]
        let words = names.filter { flags & $0.0 != 0 }.map(\.1)
        return words.isEmpty ? "none" : words.joined(separator: "+")
    }

    public mutating func add(_ segment: TCPSegment, observation: TCPTracker.Observation, frame: Int, time: Double) {
        guard observation.stream == stream else { return }
        if startTime == nil { startTime = time }
        var label = Self.flagWords(segment.flags) + " seq \(observation.relativeSequence)"
        if segment.payloadLength > 0 {
            label += ":\(observation.relativeSequence &+ UInt32(truncatingIfNeeded: segment.payloadLength))"
        }
        if segment.isACK { label += " ack \(observation.relativeAcknowledgment)" }
        label += " win \(segment.window)"
        if segment.payloadLength > 0 { label += " len \(segment.payloadLength)" }
        var row = Row(
            frame: frame, time: time - (startTime ?? time), fromClient: observation.role == .client, label: label)
        for change in observation.stateChanges {
            if change.role == .client { row.clientState = change.to } else { row.serverState = change.to }
        }
        let flags = observation.flags.subtracting([.windowUpdate, .ackedUnseenSegment])
        if !flags.isEmpty { row.note = flags.names.joined(separator: ", ") }
        if let line = HandshakeNarrator.firstLine(segment.payload) {
            row.note = (row.note.map { $0 + "; " } ?? "") + line
        }
        rows.append(row)
    }

    // MARK: - Terminal

    static let arrowWidth = 56

    public func renderText(into out: inout TextBuffer) {
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        let stateWidth = 13
        out.append(string: "TCP stream \(stream): client \(client)  ⇄  server \(server)\n\n")
        out.append(
            string: "   frame      time  " + pad("client", stateWidth) + "  " + pad("", Self.arrowWidth) + "  server\n")
        out.append(
            string: "                    " + pad(initialClientState.rawValue, stateWidth) + "  "
                + pad("", Self.arrowWidth) + "  " + initialServerState.rawValue + "\n")
        for row in rows {
            var arrow: String
            let body = " " + row.label + " "
            let dashes = max(2, Self.arrowWidth - body.count - 3)
            if row.fromClient {
                arrow = "|" + String(repeating: "-", count: 2) + body + String(repeating: "-", count: dashes - 2) + ">|"
            } else {
                arrow = "|<" + String(repeating: "-", count: 2) + body + String(repeating: "-", count: dashes - 2) + "|"
            }
            let frame = String(row.frame), time = ConversationTable.fixed(row.time, width: 9, decimals: 6)
            out.append(string: String(repeating: " ", count: max(0, 8 - frame.count)) + frame + " " + time + "  ")
            out.append(string: pad(row.clientState?.rawValue ?? "", stateWidth) + "  " + pad(arrow, Self.arrowWidth))
            out.append(string: "  " + (row.serverState?.rawValue ?? ""))
            if let note = row.note { out.append(string: "   (" + note + ")") }
            out.append("\n")
        }
    }

    // MARK: - HTML with SVG

    /// A self-contained page (no scripts, no external files) with the ladder as SVG. The drawing
    /// is 960 units wide and scales down with the window, so a 1000-px window never scrolls
    /// sideways; each label sits on an opaque box, so no arrow runs through its text.
    public func renderHTML(into out: inout TextBuffer) {
        let width = 960, left = 170, right = 790, top = 90, step = 46
        let height = top + step * (rows.count + 1) + 40
        let title = HTMLText.escape("TCP stream \(stream): \(client) → \(server)")
        out.append(
            string: """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>\(title)</title>
                <style>body{font-family:sans-serif;margin:16px auto;max-width:\(width)px;padding:0 8px;background:#fff;color:#222}
                h1{font-size:20px;overflow-wrap:anywhere}svg{display:block;max-width:100%;height:auto}
                .label{font:13px monospace}.box{fill:#fff;stroke:#ccc;stroke-width:1}
                .state{font:bold 12px sans-serif;fill:#8a3b00}
                .note{font:12px monospace;fill:#555}.c2s{stroke:#1f5fbf}.s2c{stroke:#2d8a34}</style></head>
                <body><h1>\(title)</h1>
                <svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 \(width) \(height)">
                <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>
                <text x="\(left)" y="30" text-anchor="middle" font-weight="bold">client \(HTMLText.escape(client))</text>
                <text x="\(right)" y="30" text-anchor="middle" font-weight="bold">server \(HTMLText.escape(server))</text>
                <line x1="\(left)" y1="40" x2="\(left)" y2="\(height - 20)" stroke="#444" stroke-width="2"/>
                <line x1="\(right)" y1="40" x2="\(right)" y2="\(height - 20)" stroke="#444" stroke-width="2"/>
                <text class="state" x="\(left - 10)" y="60" text-anchor="end">\(initialClientState.rawValue)</text>
                <text class="state" x="\(right + 10)" y="60">\(initialServerState.rawValue)</text>

                """)
        // Monospace text is 0.6 em per character: boxes fit their labels without measuring.
        func boxed(_ text: String, css: String, size: Double, baseline: Int, into out: inout TextBuffer) {
            let center = (left + right) / 2
            let textWidth = Double(text.count) * size * 0.6
            let boxWidth = Int(textWidth.rounded(.up)) + 10, boxHeight = Int(size) + 4
            out.append(
                string: "<rect class=\"box\" x=\"\(center - boxWidth / 2)\" y=\"\(baseline - Int(size) - 1)\" "
                    + "width=\"\(boxWidth)\" height=\"\(boxHeight)\" rx=\"3\"/>"
                    + "<text class=\"\(css)\" x=\"\(center)\" y=\"\(baseline)\" text-anchor=\"middle\">"
                    + "\(HTMLText.escape(text))</text>\n")
        }
        for (index, row) in rows.enumerated() {
            let y = top + index * step
            let (x1, x2, css) = row.fromClient ? (left, right, "c2s") : (right, left, "s2c")
            out.append(
                string: "<line class=\"arrow \(css)\" x1=\"\(x1)\" y1=\"\(y)\" x2=\"\(x2)\" y2=\"\(y + step - 14)\" "
                    + "stroke-width=\"2\" marker-end=\"url(#arrow)\"/>\n")
            boxed("\(row.frame): \(row.label)", css: "label", size: 13, baseline: y + 12, into: &out)
            if let note = row.note {
                // Long notes (an HTTP line) are cut to what fits between the two lines.
                let fitting = note.count > 80 ? String(note.prefix(79)) + "…" : note
                boxed(fitting, css: "note", size: 12, baseline: y + 29, into: &out)
            }
            if let state = row.clientState {
                out.append(
                    string: "<text class=\"state\" x=\"\(left - 10)\" y=\"\(y + step - 14)\" text-anchor=\"end\">"
                        + "\(state.rawValue)</text>\n")
            }
            if let state = row.serverState {
                out.append(
                    string:
                        "<text class=\"state\" x=\"\(right + 10)\" y=\"\(y + step - 14)\">\(state.rawValue)</text>\n")
            }
        }
        out.append("</svg>\n</body></html>\n")
    }
}
