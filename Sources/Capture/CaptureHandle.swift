import CPcap

#if canImport(Glibc)
    import Glibc
#endif

/// One captured packet as libpcap delivers it. `bytes` is valid only inside the handler it
/// is passed to.
public struct CapturedPacket {
    public var seconds: Int64
    /// Microseconds (or nanoseconds for a handle opened with nanosecond precision).
    public var fraction: Int
    public var captureLength: Int
    public var wireLength: Int
    public var bytes: UnsafeRawBufferPointer

    public init(seconds: Int64, fraction: Int, captureLength: Int, wireLength: Int, bytes: UnsafeRawBufferPointer) {
        self.seconds = seconds
        self.fraction = fraction
        self.captureLength = captureLength
        self.wireLength = wireLength
        self.bytes = bytes
    }
}

/// Kernel and libpcap counters, as tcpdump prints them at the end of a live capture.
public struct CaptureStatistics: Sendable, Equatable {
    public var received: UInt32
    public var dropped: UInt32
    public var interfaceDropped: UInt32
}

/// A libpcap handle: a live capture or a capture file. The only type that touches libpcap
/// for reading; `CaptureWriter` writes. Not thread-safe, except `breakLoop()`.
public final class CaptureHandle {
    let pcap: OpaquePointer
    public let source: String
    public let isLive: Bool

    init(pcap: OpaquePointer, source: String, isLive: Bool) {
        self.pcap = pcap
        self.source = source
        self.isLive = isLive
    }

    deinit { pcap_close(pcap) }

    /// Default snapshot length, as tcpdump's.
    public static let defaultSnapshotLength: Int32 = 262_144

    /// Opens a live capture in immediate mode (packets are delivered as they arrive, not when a
    /// kernel block fills), with a short read timeout so a stop request is seen promptly.
    public static func live(
        interface: String, snapshotLength: Int32 = defaultSnapshotLength, promiscuous: Bool = false
    ) throws(CaptureError) -> CaptureHandle {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let pcap = pcap_create(interface, &errorBuffer) else {
            throw .failed(cString(errorBuffer))
        }
        pcap_set_snaplen(pcap, snapshotLength)
        pcap_set_promisc(pcap, promiscuous ? 1 : 0)
        pcap_set_immediate_mode(pcap, 1)
        pcap_set_timeout(pcap, 100)
        let status = pcap_activate(pcap)
        if status < 0 {
            let message = String(cString: pcap_geterr(pcap))
            pcap_close(pcap)
            switch status {
            case PCAP_ERROR_NO_SUCH_DEVICE: throw .noSuchInterface(interface, message: message)
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
                throw .permissionDenied(interface, message: message)
            case PCAP_ERROR_IFACE_NOT_UP: throw .interfaceDown(interface)
            default: throw .failed("cannot capture on '\(interface)': \(message)")
            }
        }
        return CaptureHandle(pcap: pcap, source: interface, isLive: true)
    }

    /// Opens a pcap or pcapng file (libpcap tells the formats apart).
    public static func file(_ path: String) throws(CaptureError) -> CaptureHandle {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        if path != "-" && access(path, F_OK) != 0 { throw .fileNotFound(path) }
        guard let pcap = pcap_open_offline(path, &errorBuffer) else {
            throw .unreadableFile(path, message: cString(errorBuffer))
        }
        return CaptureHandle(pcap: pcap, source: path, isLive: false)
    }

    /// The link-layer header type (DLT) of the packets.
    public var linkType: Int32 { pcap_datalink(pcap) }

    /// The DLT's name as libpcap knows it (e.g. `EN10MB`).
    public var linkTypeName: String {
        guard let name = pcap_datalink_val_to_name(linkType) else { return "DLT \(linkType)" }
        return String(cString: name)
    }

    public var snapshotLength: Int32 { pcap_snapshot(pcap) }

    /// Compiles a BPF filter expression (tcpdump syntax) and applies it.
    public func setFilter(_ expression: String) throws(CaptureError) {
        var program = bpf_program()
        var netmask = PCAP_NETMASK_UNKNOWN
        if isLive {
            var net: bpf_u_int32 = 0, mask: bpf_u_int32 = 0
            var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
            if pcap_lookupnet(source, &net, &mask, &errorBuffer) == 0 { netmask = mask }
        }
        guard pcap_compile(pcap, &program, expression, 1, netmask) == 0 else {
            throw .badFilter(expression, message: String(cString: pcap_geterr(pcap)))
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(pcap, &program) == 0 else {
            throw .badFilter(expression, message: String(cString: pcap_geterr(pcap)))
        }
    }

    /// Why `forEach` returned.
    public enum StopReason: Equatable {
        case endOfFile
        case countReached
        case interrupted
        case handlerStopped
    }

    /// Calls `handler` for each packet until the file ends, `count` packets were seen (0: no
    /// limit), `breakLoop()` is called, or the handler returns false.
    public func forEach(
        count: Int = 0, _ handler: (CapturedPacket) -> Bool
    ) throws(CaptureError) -> StopReason {
        var seen = 0
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let status = pcap_next_ex(pcap, &header, &data)
            switch status {
            case 1:
                guard let header, let data else { continue }
                let record = header.pointee
                let packet = CapturedPacket(
                    seconds: Int64(record.ts.tv_sec), fraction: Int(record.ts.tv_usec),
                    captureLength: Int(record.caplen), wireLength: Int(record.len),
                    bytes: UnsafeRawBufferPointer(start: data, count: Int(record.caplen)))
                if !handler(packet) { return .handlerStopped }
                seen += 1
                if count > 0 && seen >= count { return .countReached }
            case 0:
                continue  // live read timeout: nothing arrived yet
            case PCAP_ERROR_BREAK:
                return isLive ? .interrupted : .endOfFile
            default:
                let message = String(cString: pcap_geterr(pcap))
                if !isLive && status == PCAP_ERROR {
                    throw .unreadableFile(source, message: message)
                }
                throw .failed(message)
            }
        }
    }

    /// Makes a running `forEach` return (safe from a signal handler or another thread).
    public func breakLoop() { pcap_breakloop(pcap) }

    /// The raw handle, for the signal handler, which may only call `pcap_breakloop` on it.
    public var rawHandle: OpaquePointer { pcap }

    /// Something another thread may use to stop this handle's `forEach` (and nothing else).
    public var breaker: LoopBreaker { LoopBreaker(pcap: pcap) }

    /// Counters of a live capture (nil for files or when libpcap cannot say).
    public func statistics() -> CaptureStatistics? {
        guard isLive else { return nil }
        var stats = pcap_stat()
        guard pcap_stats(pcap, &stats) == 0 else { return nil }
        return CaptureStatistics(received: stats.ps_recv, dropped: stats.ps_drop, interfaceDropped: stats.ps_ifdrop)
    }
}

/// Stops a capture loop from another thread: `pcap_breakloop` is the one libpcap call that is
/// safe to make concurrently with a read on the same handle. Keep the handle alive meanwhile.
public struct LoopBreaker: @unchecked Sendable {
    let pcap: OpaquePointer
    public func breakLoop() { pcap_breakloop(pcap) }
}
