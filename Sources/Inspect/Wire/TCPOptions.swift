/// Walks a TCP header's options (RFC 9293 §3.2) and prints nothing, like smoltcp's
/// `TcpOption::parse`: one element per option, `.malformed` (then nothing) for a length below
/// 2 or past the header, and nothing after end-of-list.
///
/// Two steppings share the framing, so the tcpdump printer and Flow read options one way:
/// - `.declared` (what the RFC says, for Flow): an option spans its length byte, the header is
///   the captured `view`, and an option that runs past it is `.malformed`.
/// - `.tcpdump` (print-tcp.c): the header is `length` bytes however many were captured, a kind
///   or length byte that was not captured is `.truncated`, and a known option is stepped over
///   by its expected size (`TCPOptionKind.expectedDataLength`), not by its length byte; the
///   printer marks the difference `[len N]` and checks the data against `room` itself.
public struct TCPOptions: Sequence, IteratorProtocol {
    public enum Stepping: Sendable {
        case declared, tcpdump
    }

    public struct Option {
        public let kind: UInt8
        /// The length byte (1 for end-of-list and no-operation, which have none).
        public let declaredLength: Int
        /// Where the data starts in the options view (after kind and length).
        public let dataOffset: Int
        /// The data the step spans: the declared length − 2, or tcpdump's expected size.
        public let dataLength: Int
        /// Header bytes left for the data after the kind and length bytes (tcpdump's LENCHECK bound).
        public let room: Int
        let options: ByteView
        /// The data as captured: at most `dataLength` bytes, fewer when the capture was cut
        /// (made when asked for: the printer reads the options view at `dataOffset` instead).
        public var data: ByteView { options.dropFirst(dataOffset).prefix(dataLength) }
    }

    public enum Element {
        case option(Option)
        /// A length below 2 or past the header's end (tcpdump's `[bad opt]`).
        case malformed(offset: Int)
        /// Stepping `.tcpdump`: the kind or length byte was not captured (tcpdump's `[|tcp]`).
        case truncated(offset: Int)
    }

    let view: ByteView
    let stepping: Stepping
    var offset = 0
    var remaining: Int
    var finished = false

    /// `view`: the option bytes as captured; `length`: the header's option bytes (header
    /// length − 20), by default the whole view.
    public init(_ view: ByteView, length: Int? = nil, stepping: Stepping = .declared) {
        self.view = view
        self.stepping = stepping
        remaining = length ?? view.count
    }

    // Inlined into the loops that walk options (the printer's, Flow's): no enum of an option
    // returned through memory per option.
    @inline(__always)
    public mutating func next() -> Element? {
        guard !finished, remaining > 0 else { return nil }
        func stop(_ element: Element) -> Element {
            finished = true
            return element
        }
        let start = offset
        guard let kind = view.u8(start) else { return stop(.truncated(offset: start)) }
        let declared: Int
        let dataLength: Int
        if kind == TCPOptionKind.endOfList || kind == TCPOptionKind.noOperation {
            declared = 1
            dataLength = 0
            remaining -= 1
        } else {
            guard let length = view.u8(start + 1) else {
                return stop(stepping == .tcpdump ? .truncated(offset: start) : .malformed(offset: start))
            }
            declared = Int(length)
            if declared < 2 || declared > remaining { return stop(.malformed(offset: start)) }
            remaining -= 2
            dataLength =
                stepping == .tcpdump ? TCPOptionKind.expectedDataLength(kind, declared: declared) : declared - 2
        }
        let dataOffset = start + (kind <= TCPOptionKind.noOperation ? 1 : 2)
        let option = Option(
            kind: kind, declaredLength: declared, dataOffset: dataOffset, dataLength: dataLength, room: remaining,
            options: view)
        offset = dataOffset + dataLength
        remaining -= dataLength
        if kind == TCPOptionKind.endOfList { finished = true }
        return .option(option)
    }
}

extension TCPOptionKind {
    /// The data size print-tcp.c steps over for a known option whatever its length byte says
    /// (its `datalen`); other options span their declared length.
    public static func expectedDataLength(_ kind: UInt8, declared: Int) -> Int {
        switch kind {
        case endOfList, noOperation, sackPermitted: 0
        case windowScale: 1
        case maxSegmentSize, scps, userTimeout: 2
        case echo, echoReply, cc, ccNew, ccEcho: 4
        case timestamp: 8
        case md5Signature: 16
        default: declared - 2
        }
    }
}
