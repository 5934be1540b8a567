/// Walks an IPv6 extension-header chain (RFC 8200 §4) and prints nothing: each step yields one
/// header, then the upper-layer protocol, or why the walk stopped. The rules are tcpdump's
/// (print-ip6.c): hop-by-hop only first and once, its options well formed, a zero payload
/// length only with a valid Jumbo Payload option (RFC 2675), routing types 0, 2 and 4 only,
/// and a fragment with a non-zero offset ends the walk (its payload is not a header).
public struct IPv6ExtensionChain: Sequence, IteratorProtocol {
    public enum Element {
        case hopByHop(IPv6OptionsHeader, offset: Int)
        case destinationOptions(IPv6OptionsHeader, offset: Int)
        case routing(IPv6RoutingHeader, offset: Int)
        case fragment(IPv6FragmentHeader, offset: Int)
        /// The header after the chain: `proto` starts at `offset` from the IPv6 header.
        case upperLayer(proto: UInt8, offset: Int)
        /// A later fragment (offset ≠ 0): what follows is data, not a header.
        case laterFragment(proto: UInt8, offset: Int)
        /// The bytes ran out (not captured, or past the payload length).
        case truncated(offset: Int)
        /// A header that breaks the rules above.
        case invalid(offset: Int)
    }

    let packet: ByteView
    var nextHeader: UInt8
    var offset = IPv6Header.length
    var finished = false
    var sawHopByHop = false
    var inLaterFragment = false
    var sawRouting = false
    /// The payload length: the fixed header's, or a valid jumbo length once one is read.
    public private(set) var payloadLength: Int
    /// The destination the transport pseudo-header uses: the last address of the first routing
    /// header when it is type 0 or 2, segment 0 when it is a segment routing header (RFC 8754 §4.1).
    public private(set) var finalDestination: ByteView
    /// A valid Jumbo Payload option's value.
    public private(set) var jumboLength: UInt32?

    public init(_ ip: IPv6Header) {
        let payloadLength = Int(ip.payloadLength)
        // Until the payload length is known (a jumbo option may set it), read to the capture's end.
        packet = payloadLength != 0 ? ip.view.prefix(payloadLength + IPv6Header.length) : ip.view
        nextHeader = ip.nextHeader
        self.payloadLength = payloadLength
        finalDestination = ip.destination
    }

    public mutating func next() -> Element? {
        guard !finished else { return nil }
        let start = offset
        let header = packet.dropFirst(start)
        func stop(_ element: Element) -> Element {
            finished = true
            return element
        }
        if inLaterFragment { return stop(.laterFragment(proto: nextHeader, offset: start)) }
        switch nextHeader {
        case IPProtocol.hopByHop, IPProtocol.destinationOptions:
            let isHopByHop = nextHeader == IPProtocol.hopByHop
            if isHopByHop {
                if sawHopByHop || start != IPv6Header.length { return stop(.invalid(offset: start)) }
                sawHopByHop = true
            }
            guard let options = IPv6OptionsHeader(header), header.count >= options.length else {
                return stop(.truncated(offset: start))
            }
            // Only hop-by-hop options are read (for a jumbo length); destination options are
            // not, as tcpdump -nn does not read them either.
            var jumbo: UInt32?
            var sawJumbo = false  // the first jumbo option decides; a second is "already seen"
            for option in IPv6Options(header.prefix(options.length).dropFirst(2)) where isHopByHop {
                switch option {
                case .malformed: return stop(.truncated(offset: start))
                case .option(let type, let data):
                    // tcpdump's ip6_opt_process also rejects a router alert that is not 2 bytes.
                    if type == IPv6Options.routerAlert && data.count != 2 { return stop(.truncated(offset: start)) }
                    guard type == IPv6Options.jumboPayload else { continue }
                    if data.count != 4 { return stop(.truncated(offset: start)) }
                    if !sawJumbo, payloadLength == 0, let value = data.be32(0), value >= 65536 { jumbo = value }
                    sawJumbo = true
                }
            }
            if isHopByHop {
                if payloadLength == 0 && jumbo == nil { return stop(.invalid(offset: start)) }
                if let jumbo {
                    jumboLength = jumbo
                    payloadLength = Int(jumbo)
                }
            }
            nextHeader = options.nextHeader
            offset += options.length
            return isHopByHop ? .hopByHop(options, offset: start) : .destinationOptions(options, offset: start)
        case IPProtocol.fragment:
            guard let fragment = IPv6FragmentHeader(header) else { return stop(.truncated(offset: start)) }
            nextHeader = fragment.nextHeader
            offset += IPv6FragmentHeader.length
            inLaterFragment = fragment.offsetField != 0
            return .fragment(fragment, offset: start)
        case IPProtocol.routing:
            guard let routing = IPv6RoutingHeader(header), header.count >= 8 else {
                return stop(.truncated(offset: start))
            }
            let units = Int(routing.lengthUnits)
            // Only the first routing header names the final destination (tcpdump's ip6_finddst
            // stops there; RFC 8200 §4.1 allows one).
            let first = !sawRouting
            sawRouting = true
            switch routing.routingType {
            case 0, 2:
                if units % 2 == 1 { return stop(.invalid(offset: start)) }
                let addresses = units / 2
                guard header.has(8, 16 * addresses) else { return stop(.truncated(offset: start)) }
                if first && addresses > 0 {
                    finalDestination = header.dropFirst(8 + 16 * (addresses - 1)).prefix(16)
                }
            case 4:
                let addresses = units / 2
                guard header.has(8, 16 * addresses) else { return stop(.truncated(offset: start)) }
                if first && addresses > 0 { finalDestination = header.dropFirst(8).prefix(16) }
            default:
                return stop(.invalid(offset: start))
            }
            nextHeader = routing.nextHeader
            offset += routing.length
            return .routing(routing, offset: start)
        default:
            if payloadLength + IPv6Header.length < start { return stop(.truncated(offset: start)) }
            return stop(.upperLayer(proto: nextHeader, offset: start))
        }
    }
}

/// The TLV options of a hop-by-hop or destination options header (RFC 8200 §4.2), Pad1 and
/// PadN included; `.malformed` (then nothing) when an option overruns the header.
public struct IPv6Options: Sequence, IteratorProtocol {
    public static let pad1: UInt8 = 0
    public static let padN: UInt8 = 1
    public static let routerAlert: UInt8 = 5
    public static let jumboPayload: UInt8 = 0xC2

    public enum Element {
        case option(type: UInt8, data: ByteView)
        case malformed(offset: Int)
    }

    let view: ByteView
    var offset = 0
    var finished = false

    /// `view`: the option bytes, after the next-header and length bytes.
    public init(_ view: ByteView) { self.view = view }

    public mutating func next() -> Element? {
        guard !finished, offset < view.count else { return nil }
        let type = view.u8(offset)!
        if type == Self.pad1 {
            offset += 1
            return .option(type: type, data: view.dropFirst(offset).prefix(0))
        }
        guard let declared = view.u8(offset + 1), offset + 2 + Int(declared) <= view.count else {
            finished = true
            return .malformed(offset: offset)
        }
        let data = view.dropFirst(offset + 2).prefix(Int(declared))
        offset += 2 + Int(declared)
        return .option(type: type, data: data)
    }
}

extension IPv6ExtensionChain.Element {
    /// Where the header, the upper layer or the stop is, from the start of the IPv6 header.
    public var offset: Int {
        switch self {
        case .hopByHop(_, let offset), .destinationOptions(_, let offset), .routing(_, let offset),
            .fragment(_, let offset), .upperLayer(_, let offset), .laterFragment(_, let offset),
            .truncated(let offset), .invalid(let offset):
            offset
        }
    }

    /// The protocol number of what is at `offset`; nil for a stop (the chain's `nextHeader`
    /// names the header that stopped it).
    public var proto: UInt8? {
        switch self {
        case .hopByHop: IPProtocol.hopByHop
        case .destinationOptions: IPProtocol.destinationOptions
        case .routing: IPProtocol.routing
        case .fragment: IPProtocol.fragment
        case .upperLayer(let proto, _), .laterFragment(let proto, _): proto
        case .truncated, .invalid: nil
        }
    }
}
