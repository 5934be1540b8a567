import CPcap

/// Writes packets to a pcap file (libpcap's `pcap_dump`), readable by tcpdump and Wireshark.
public final class CaptureWriter {
    private let dumper: OpaquePointer
    public private(set) var packetsWritten = 0

    /// Opens `path` for packets of `handle`'s link type and snapshot length.
    public init(path: String, for handle: CaptureHandle) throws(CaptureError) {
        guard let dumper = pcap_dump_open(handle.pcap, path) else {
            throw .cannotWrite(path, message: String(cString: pcap_geterr(handle.pcap)))
        }
        self.dumper = dumper
    }

    /// Opens `path` for packets of a given link type without a capture handle (tests, generators).
    public init(path: String, linkType: Int32, snapshotLength: Int32 = CaptureHandle.defaultSnapshotLength)
        throws(CaptureError)
    {
        guard let dead = pcap_open_dead(linkType, snapshotLength) else {
            throw .cannotWrite(path, message: "libpcap could not create a handle")
        }
        defer { pcap_close(dead) }
        guard let dumper = pcap_dump_open(dead, path) else {
            throw .cannotWrite(path, message: String(cString: pcap_geterr(dead)))
        }
        self.dumper = dumper
    }

    deinit { pcap_dump_close(dumper) }

    public func write(_ packet: CapturedPacket) {
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(packet.seconds)
        header.ts.tv_usec = Int(packet.fraction)
        header.caplen = UInt32(packet.captureLength)
        header.len = UInt32(packet.wireLength)
        guard let base = packet.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header, base)
        packetsWritten += 1
    }

    /// Writes buffered packets to disk (after each batch of a live capture, so a kill loses at most one batch).
    public func flush() { pcap_dump_flush(dumper) }
}
