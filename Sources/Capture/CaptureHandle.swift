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
    /// A live capture that takes packets in kernel blocks (not immediate mode).
    public let isBatched: Bool

    /// The stdio buffer a file is read through (freed after libpcap closes the file).
    private let readBuffer: UnsafeMutableRawPointer?

    init(
        pcap: OpaquePointer, source: String, isLive: Bool, isBatched: Bool = false,
        readBuffer: UnsafeMutableRawPointer? = nil
    ) {
        self.pcap = pcap
        self.source = source
        self.isLive = isLive
        self.isBatched = isBatched
        self.readBuffer = readBuffer
    }

    deinit {
        pcap_close(pcap)
        readBuffer?.deallocate()
    }

    /// The stdio buffer for reading a file: libpcap reads each record with fread, and with
    /// stdio's default (4 KiB here) that is a read system call every 4 KiB, about 88,000 for
    /// the 343 MB of bench/out/big.pcap; 1 MiB makes it a few hundred.
    static let fileBufferSize = 1 << 20

    /// Default snapshot length, as tcpdump's.
    public static let defaultSnapshotLength: Int32 = 262_144

    /// Default kernel buffer for a live capture: 8 MiB, four times tcpdump's 2 MiB. The ring
    /// must hold whatever arrives while the process is not running: on loopback under load
    /// (nginx + wrk, about 200,000 packets/s of ~700 bytes) 8 MiB is about 60 ms of traffic,
    /// several scheduler time slices on a busy 2-core machine, where 2 MiB is about 15 ms.
    /// The cost is 8 MiB of kernel memory while the capture runs.
    public static let defaultBufferSize = 8 << 20

    /// How long the kernel may hold a partly filled block before handing it over (batched
    /// mode): on slow traffic a packet reaches the program at most this late.
    public static let blockTimeoutMilliseconds: Int32 = 100

    /// Opens a live capture. By default packets come in batches: TPACKET_V3 fills blocks of a
    /// ring of `bufferSize` bytes and the process wakes once per block (or after
    /// `blockTimeoutMilliseconds` on slow traffic), which keeps up with loopback at full speed.
    /// `immediate` wakes the process for every packet instead (under a millisecond of delay,
    /// far less throughput): for output a person watches.
    public static func live(
        interface: String, snapshotLength: Int32 = defaultSnapshotLength, promiscuous: Bool = false,
        bufferSize: Int = defaultBufferSize, immediate: Bool = false
    ) throws(CaptureError) -> CaptureHandle {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let pcap = pcap_create(interface, &errorBuffer) else {
            throw .failed(cString(errorBuffer))
        }
        pcap_set_snaplen(pcap, snapshotLength)
        pcap_set_promisc(pcap, promiscuous ? 1 : 0)
        pcap_set_buffer_size(pcap, Int32(clamping: bufferSize))
        pcap_set_immediate_mode(pcap, immediate ? 1 : 0)
        pcap_set_timeout(pcap, blockTimeoutMilliseconds)
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
        return CaptureHandle(pcap: pcap, source: interface, isLive: true, isBatched: !immediate)
    }

    /// Opens a pcap or pcapng file (libpcap tells the formats apart).
    public static func file(_ path: String) throws(CaptureError) -> CaptureHandle {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        if path != "-" && access(path, F_OK) != 0 { throw .fileNotFound(path) }
        // A regular file is opened here, with a large buffer set before the first read; a pipe
        // or anything fopen refuses goes to pcap_open_offline (and its error message).
        var status = stat()
        if path != "-", stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, let file = fopen(path, "rb") {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: fileBufferSize, alignment: 64)
            setvbuf(file, buffer.assumingMemoryBound(to: CChar.self), _IOFBF, fileBufferSize)
            guard let pcap = pcap_fopen_offline(file, &errorBuffer) else {
                fclose(file)
                buffer.deallocate()
                throw .unreadableFile(path, message: cString(errorBuffer))
            }
            return CaptureHandle(pcap: pcap, source: path, isLive: false, readBuffer: buffer)
        }
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

    /// Packets handed over per `pcap_dispatch` call at most: a batch ends at least this often
    /// even when the ring never runs dry, so output is flushed and drops are noticed.
    public static let maximumBatch: Int32 = 8192

    /// Calls `handler` for each packet until the file ends, `count` packets were seen (0: no
    /// limit), `breakLoop()` is called, or the handler returns false. Packets come in batches
    /// (one `pcap_dispatch` each: a kernel block of a live capture, up to `maximumBatch`
    /// packets); `batchEnded` runs after each batch that had packets, the place to flush
    /// output, and stops the loop by returning false. A live read timeout with nothing new
    /// just waits again.
    public func forEach(
        count: Int = 0, batchEnded: () -> Bool = { true }, _ handler: (CapturedPacket) -> Bool
    ) throws(CaptureError) -> StopReason {
        if !isLive && readsAhead && readBuffer != nil, let reader = FileReadAhead.start(pcap) {
            defer { reader.stop() }
            return try forEach(reader, count: count, batchEnded: batchEnded, handler)
        }
        return try withoutActuallyEscaping(handler) { handler throws(CaptureError) -> StopReason in
            var context = DispatchContext(pcap: pcap, handler: handler)
            return try withUnsafeMutablePointer(to: &context) { context throws(CaptureError) -> StopReason in
                let user = UnsafeMutableRawPointer(context).assumingMemoryBound(to: UInt8.self)
                while true {
                    let remaining = count > 0 ? count - context.pointee.seen : Int(Self.maximumBatch)
                    let status = pcap_dispatch(pcap, min(Self.maximumBatch, Int32(remaining)), dispatchPacket, user)
                    if status > 0 && !batchEnded() { return .handlerStopped }
                    if context.pointee.stopped { return .handlerStopped }
                    if count > 0 && context.pointee.seen >= count { return .countReached }
                    switch status {
                    case 1...:
                        continue
                    case 0:
                        // A file has ended; a live capture's read timed out with nothing new.
                        if isLive { continue }
                        return .endOfFile
                    case PCAP_ERROR_BREAK:
                        guard isLive else { return .endOfFile }
                        try drain(count: count, context: context, user: user, batchEnded: batchEnded)
                        if context.pointee.stopped { return .handlerStopped }
                        return .interrupted
                    default:
                        let message = String(cString: pcap_geterr(pcap))
                        if !isLive && status == PCAP_ERROR {
                            throw .unreadableFile(source, message: message)
                        }
                        throw .failed(message)
                    }
                }
            }
        }
    }

    /// Whether a regular file is read on a second thread while the handler decodes (the
    /// default); false reads it on the caller's thread. Standard input and other pipes are
    /// always read on the caller's thread: a reader waiting for a pipe's next packet could not
    /// be stopped when the caller has what it wants (`-c`), only when the writer goes on.
    public var readsAhead = true

    /// `forEach` for a file read ahead: a batch of the reader's is a batch here.
    private func forEach(
        _ reader: FileReadAhead, count: Int, batchEnded: () -> Bool, _ handler: (CapturedPacket) -> Bool
    ) throws(CaptureError) -> StopReason {
        var seen = 0
        while true {
            let batch = reader.next()
            defer { reader.release() }
            for record in batch.records {
                let packet = CapturedPacket(
                    seconds: record.seconds, fraction: record.fraction, captureLength: record.captureLength,
                    wireLength: record.wireLength,
                    bytes: UnsafeRawBufferPointer(start: batch.bytes + record.offset, count: record.captureLength))
                seen += 1
                if !handler(packet) { return .handlerStopped }
                if count > 0 && seen >= count { return .countReached }
            }
            if !batch.records.isEmpty && !batchEnded() { return .handlerStopped }
            switch batch.end {
            case nil: continue
            case .endOfFile: return .endOfFile
            case .failed(let message): throw .unreadableFile(source, message: message)
            }
        }
    }

    /// A stop request came: packets that arrived before it may still sit in the kernel's open
    /// block, which is handed over only when its timeout expires (100 ms batched; immediate
    /// mode's blocks retire at once), or in the ring, unread by a reader that fell behind.
    /// Waits for the block once, then takes what is ready without blocking, so a stop does not
    /// lose the last packets. A second stop request during the wait ends it at once.
    private func drain(
        count: Int, context: UnsafeMutablePointer<DispatchContext>, user: UnsafeMutablePointer<UInt8>,
        batchEnded: () -> Bool
    ) throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard pcap_setnonblock(pcap, 1, &errorBuffer) == 0 else { return }
        defer { pcap_setnonblock(pcap, 0, &errorBuffer) }
        usleep(useconds_t((isBatched ? Self.blockTimeoutMilliseconds : 0) + 20) * 1000)
        while true {
            let remaining = count > 0 ? count - context.pointee.seen : Int(Self.maximumBatch)
            guard remaining > 0 else { return }
            let status = pcap_dispatch(pcap, min(Self.maximumBatch, Int32(remaining)), dispatchPacket, user)
            guard status > 0 else { return }  // nothing more ready, or a second stop request
            if !batchEnded() { context.pointee.stopped = true }
            if context.pointee.stopped { return }
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

/// What `pcap_dispatch`'s callback needs, passed through its `user` pointer (a C callback
/// cannot capture anything).
private struct DispatchContext {
    let pcap: OpaquePointer
    let handler: (CapturedPacket) -> Bool
    var seen = 0
    var stopped = false
}

/// `pcap_dispatch`'s callback: hands one packet to the Swift handler.
private func dispatchPacket(
    _ user: UnsafeMutablePointer<UInt8>?, _ header: UnsafePointer<pcap_pkthdr>?, _ data: UnsafePointer<UInt8>?
) {
    guard let user, let header, let data else { return }
    let context = UnsafeMutableRawPointer(user).assumingMemoryBound(to: DispatchContext.self)
    // libpcap checks the break flag between packets; a stopped handler sees no more.
    if context.pointee.stopped { return }
    let record = header.pointee
    let packet = CapturedPacket(
        seconds: Int64(record.ts.tv_sec), fraction: Int(record.ts.tv_usec),
        captureLength: Int(record.caplen), wireLength: Int(record.len),
        bytes: UnsafeRawBufferPointer(start: data, count: Int(record.caplen)))
    context.pointee.seen += 1
    if !context.pointee.handler(packet) {
        context.pointee.stopped = true
        pcap_breakloop(context.pointee.pcap)
    }
}
