/// JSON Lines output (`--json`): one object per packet, per TCP state change and per HTTP
/// message. The schema is documented in docs/json.md and is stable: fields are only added.
public enum JSONLines {
    public static func appendString(_ text: String, into out: inout TextBuffer) {
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20:
                out.append("\\u")
                out.append(hex: UInt64(scalar.value), minDigits: 4)
            default:
                out.append(string: String(scalar))
            }
        }
        out.append("\"")
    }

    /// `{"type":"packet","frame":N,"time":T,"length":L,"summary":"…"}` plus a `tcp` object when
    /// the frame is TCP. `captureIncomplete` (see `CaptureCompleteness`) adds
    /// `"capture_incomplete":true` to the `tcp` object: its analysis is not evidence.
    public static func packet(
        frame: Int, seconds: Int64, microseconds: Int, length: Int, summary: String, segment: TCPSegment?,
        observation: TCPTracker.Observation?, captureIncomplete: Bool = false, into out: inout TextBuffer
    ) {
        out.append("{\"type\":\"packet\",\"frame\":")
        out.append(frame)
        out.append(",\"time\":")
        out.append(seconds)
        out.append(".")
        out.append(zeroPadded: UInt64(max(0, microseconds)), width: 6)
        out.append(",\"length\":")
        out.append(length)
        out.append(",\"summary\":")
        appendString(summary, into: &out)
        if let segment, let observation {
            out.append(",\"tcp\":{\"stream\":")
            out.append(observation.stream)
            out.append(",\"from\":")
            appendString(segment.sourceEndpoint, into: &out)
            out.append(",\"to\":")
            appendString(segment.destinationEndpoint, into: &out)
            out.append(",\"role\":")
            appendString(observation.role.rawValue, into: &out)
            out.append(",\"flags\":")
            var flags = TextBuffer(capacity: 16)
            TcpdumpPrinter().appendFlags(TCPHeader.Flags(rawValue: segment.flags), into: &flags)
            appendString(flags.string, into: &out)
            out.append(",\"seq\":")
            out.append(observation.relativeSequence)
            out.append(",\"ack\":")
            out.append(observation.relativeAcknowledgment)
            out.append(",\"len\":")
            out.append(segment.payloadLength)
            out.append(",\"win\":")
            out.append(segment.window)
            out.append(",\"analysis\":[")
            for (index, name) in observation.flags.names.enumerated() {
                if index > 0 { out.append(",") }
                appendString(name, into: &out)
            }
            out.append(captureIncomplete ? "],\"capture_incomplete\":true}" : "]}")
        }
        out.append("}\n")
        if let observation {
            for change in observation.stateChanges {
                out.append("{\"type\":\"state\",\"frame\":")
                out.append(frame)
                out.append(",\"stream\":")
                out.append(observation.stream)
                out.append(",\"endpoint\":")
                appendString(change.role.rawValue, into: &out)
                out.append(",\"from\":")
                appendString(change.from.rawValue, into: &out)
                out.append(",\"to\":")
                appendString(change.to.rawValue, into: &out)
                out.append("}\n")
            }
        }
    }

    /// `{"type":"http","stream":S,"direction":"request"|"response",…}`.
    public static func http(
        _ message: HTTPConversation.Message, captureIncomplete: Bool = false, into out: inout TextBuffer
    ) {
        out.append("{\"type\":\"http\",\"stream\":")
        out.append(message.stream)
        out.append(",\"first_frame\":")
        out.append(message.firstFrame)
        out.append(",\"last_frame\":")
        out.append(message.lastFrame)
        out.append(message.kind == .request ? ",\"direction\":\"request\"" : ",\"direction\":\"response\"")
        if let head = message.head {
            switch head.startLine {
            case .request(let method, let target):
                out.append(",\"method\":")
                appendString(method, into: &out)
                out.append(",\"target\":")
                appendString(target, into: &out)
            case .response(let status, let reason):
                out.append(",\"status\":")
                out.append(status)
                out.append(",\"reason\":")
                appendString(reason, into: &out)
            }
            out.append(",\"version\":")
            appendString(head.version.description, into: &out)
            out.append(",\"headers\":[")
            for (index, field) in head.fields.enumerated() {
                if index > 0 { out.append(",") }
                out.append("[")
                appendString(field.name, into: &out)
                out.append(",")
                appendString(field.value, into: &out)
                out.append("]")
            }
            out.append("]")
        }
        out.append(",\"empty_lines_before\":")
        out.append(message.head?.emptyLinesBefore ?? 0)
        out.append(",\"body_bytes\":")
        out.append(message.bodyBytes)
        out.append(",\"complete\":")
        out.append(message.complete ? "true" : "false")
        out.append(",\"malformed\":")
        out.append(message.isMalformed ? "true" : "false")
        if let error = message.error {
            out.append(",\"error\":")
            appendString(error.reason, into: &out)
            out.append(",\"error_kind\":")
            appendString(error.kind.name, into: &out)
            out.append(",\"error_rule\":")
            appendString(error.rule, into: &out)
            out.append(",\"error_offset\":")
            out.append(error.offset)
            out.append(",\"error_frame\":")
            out.append(message.errorFrame ?? message.lastFrame)
            out.append(",\"error_line\":")
            appendString(String(decoding: error.line, as: UTF8.self), into: &out)
        }
        out.append(",\"warnings\":[")
        for (index, item) in message.warnings.enumerated() {
            if index > 0 { out.append(",") }
            out.append("{\"kind\":")
            appendString(item.warning.kind.name, into: &out)
            out.append(",\"reason\":")
            appendString(item.warning.reason, into: &out)
            out.append(",\"rule\":")
            appendString(item.warning.rule, into: &out)
            out.append(",\"offset\":")
            out.append(item.warning.offset)
            out.append(",\"frame\":")
            out.append(item.frame)
            out.append("}")
        }
        out.append("]")
        if captureIncomplete { out.append(",\"capture_incomplete\":true") }
        out.append("}\n")
    }
}
