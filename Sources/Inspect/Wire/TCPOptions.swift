/// Walks a TCP header's options (RFC 9293 §3.2) and prints nothing, like smoltcp's
/// `TcpOption::parse`: one element per option, `.malformed` (then nothing) for a length below
/// 2 or past the header, and nothing after end-of-list.
public struct TCPOptions: Sequence, IteratorProtocol {
    public enum Element {
        /// `data` holds the bytes after kind and length (empty for nop, eol and sackOK).
        case option(kind: UInt8, data: ByteView)
        case malformed(offset: Int)
    }

    let view: ByteView
    var offset = 0
    var finished = false

    /// `view`: the option bytes (header length − 20 of them, as captured).
    public init(_ view: ByteView) { self.view = view }

    public mutating func next() -> Element? {
        guard !finished, let kind = view.u8(offset) else { return nil }
        if kind == TCPOptionKind.endOfList || kind == TCPOptionKind.noOperation {
            offset += 1
            if kind == TCPOptionKind.endOfList { finished = true }
            return .option(kind: kind, data: view.dropFirst(offset).prefix(0))
        }
        guard let length = view.u8(offset + 1), length >= 2, view.has(offset, Int(length)) else {
            finished = true
            return .malformed(offset: offset)
        }
        let data = view.dropFirst(offset + 2).prefix(Int(length) - 2)
        offset += Int(length)
        return .option(kind: kind, data: data)
    }
}
