import Inspect

/// The flow tracker with HTTP by content: a sequence of frames through `CaptureAnalyzer`
/// (TCP tracking, reassembly, HTTP conversations), rendered as `stats`, `--json` and `--http` do.
///
/// Input: byte 0 picks the link type (as in `PrinterTarget`), then records, each a 1-byte time
/// step in milliseconds, a 2-byte big-endian length and that many bytes of frame. A record cut
/// short by the end of the input is used as far as it goes.
enum FlowTarget {
    static func run(_ data: [UInt8]) {
        guard let selector = data.first else { return }
        let linkType = PrinterTarget.linkType(selector)
        var analyzer = CaptureAnalyzer(followStreams: [0, 1])
        var out = TextBuffer(capacity: 1 << 14)
        var milliseconds: Int64 = 0
        var index = 1
        var frame = 0
        data.withUnsafeBytes { raw in
            while index + 3 <= data.count {
                milliseconds += Int64(data[index])
                let length = Int(data[index + 1]) << 8 | Int(data[index + 2])
                let end = min(index + 3 + length, data.count)
                let bytes = ByteView(UnsafeRawBufferPointer(rebasing: raw[(index + 3)..<end]))
                index = end
                frame += 1
                let seconds = 1_700_000_000 + milliseconds / 1000
                let microseconds = Int(milliseconds % 1000) * 1000
                let result = analyzer.add(
                    bytes, linkType: linkType, wireLength: length, seconds: seconds, microseconds: microseconds)
                JSONLines.packet(
                    frame: frame, seconds: seconds, microseconds: microseconds, length: length, summary: "",
                    segment: result.segment, observation: result.observation, into: &out)
                render(result.httpMessages, analyzer, into: &out)
                out.removeAll()
            }
        }
        render(analyzer.finish(), analyzer, into: &out)
        ConversationTable.render(analyzer.tracker.connections, into: &out)
        guard analyzer.frames == frame else { violated("the analyzer counted \(analyzer.frames) of \(frame) frames") }
    }

    static func render(_ messages: [HTTPConversation.Message], _ analyzer: CaptureAnalyzer, into out: inout TextBuffer)
    {
        for message in messages {
            JSONLines.http(message, into: &out)
            let connection = analyzer.tracker.connection(message.stream)
            HTTPMessageLine.render(message, client: connection.client, server: connection.server, into: &out)
        }
    }
}
