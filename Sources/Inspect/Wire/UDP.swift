/// UDP header (RFC 768).
public struct UDPHeader {
    public static let length = 8
    public let view: ByteView
    /// Requires only the ports; the length and checksum may be cut by the capture.
    public init?(_ view: ByteView) {
        guard view.count >= 4 else { return nil }
        self.view = view
    }
    public var sourcePort: UInt16 { view.be16(0)! }
    public var destinationPort: UInt16 { view.be16(2)! }
    public var length: UInt16? { view.be16(4) }
    public var checksum: UInt16? { view.be16(6) }
}
