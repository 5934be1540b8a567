/// A bounds-checked, read-only view of captured bytes.
///
/// Every read returns `nil` instead of trapping when the bytes were not captured, so a
/// decoder can report exactly where a truncated packet stopped. A view never owns its
/// memory: it is valid only while the buffer it was made from is (for libpcap, inside the
/// packet callback), and it must not escape that scope. Its reads are always inlined: each is
/// a comparison and a load, cheaper than a call, and they run many times per packet.
public struct ByteView {
    @usableFromInline let base: UnsafeRawBufferPointer

    @inlinable public init(_ base: UnsafeRawBufferPointer) { self.base = base }

    /// The number of captured bytes in the view.
    @inlinable public var count: Int { base.count }

    @inlinable public var isEmpty: Bool { base.isEmpty }

    /// True when `length` bytes starting at `offset` were captured.
    @inlinable @inline(__always) public func has(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= base.count - length
    }

    @inlinable @inline(__always) public func u8(_ offset: Int) -> UInt8? {
        guard offset >= 0, offset < base.count else { return nil }
        return base[offset]
    }

    @inlinable @inline(__always) public func be16(_ offset: Int) -> UInt16? {
        guard has(offset, 2) else { return nil }
        return UInt16(base[offset]) << 8 | UInt16(base[offset + 1])
    }

    @inlinable @inline(__always) public func be32(_ offset: Int) -> UInt32? {
        guard has(offset, 4) else { return nil }
        return UInt32(base[offset]) << 24 | UInt32(base[offset + 1]) << 16
            | UInt32(base[offset + 2]) << 8 | UInt32(base[offset + 3])
    }

    /// Host-order 32-bit read (for the BSD loopback header, written in the capturing host's order).
    @inlinable public func le32(_ offset: Int) -> UInt32? {
        guard has(offset, 4) else { return nil }
        return UInt32(base[offset + 3]) << 24 | UInt32(base[offset + 2]) << 16
            | UInt32(base[offset + 1]) << 8 | UInt32(base[offset])
    }

    /// The bytes from `offset` on (empty when `offset` is past the end).
    @inlinable @inline(__always) public func dropFirst(_ offset: Int) -> ByteView {
        let start = Swift.min(Swift.max(offset, 0), base.count)
        return ByteView(UnsafeRawBufferPointer(rebasing: base[start...]))
    }

    /// At most the first `length` bytes (tcpdump's `nd_push_snaplen`: cut trailing padding).
    @inlinable @inline(__always) public func prefix(_ length: Int) -> ByteView {
        let end = Swift.min(Swift.max(length, 0), base.count)
        return ByteView(UnsafeRawBufferPointer(rebasing: base[..<end]))
    }

    /// Copies bytes out (for tests and non-hot paths).
    public var bytes: [UInt8] { Array(base) }
}
