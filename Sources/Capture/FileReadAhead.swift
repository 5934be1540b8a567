import CPcap
import ProcessControl
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a capture file on a second thread while the caller decodes: reading (a system call
/// and a copy per block, libpcap's record parsing and filter per packet) and decoding then
/// overlap on two cores instead of taking turns on one.
///
/// The reader fills batches of packets (copied out of libpcap's buffer, which the next read
/// reuses) from a ring of `batchCount` and the caller takes them in order. Ownership of a batch
/// passes by two counting semaphores: `filled` counts batches the reader handed over, `emptied`
/// batches the caller gave back; each side touches a batch only between its wait and its post,
/// which is why the class may be shared (`@unchecked Sendable`) without a lock.
final class FileReadAhead: @unchecked Sendable {
    /// One packet of a batch.
    struct Record {
        var seconds: Int64
        var fraction: Int
        var captureLength: Int
        var wireLength: Int
        var offset: Int
    }

    /// Why a batch was the last.
    enum End {
        case endOfFile
        case failed(String)
    }

    final class Batch {
        var bytes: UnsafeMutableRawPointer
        var capacity: Int
        var used = 0
        var records: [Record] = []
        var end: End?

        init(capacity: Int) {
            self.capacity = capacity
            bytes = .allocate(byteCount: capacity, alignment: 16)
            records.reserveCapacity(FileReadAhead.batchPackets)
        }

        deinit { bytes.deallocate() }

        func reset() {
            used = 0
            records.removeAll(keepingCapacity: true)
            end = nil
        }

        /// Room for one more packet of `length` bytes (a packet may be as large as the snap length).
        func makeRoom(_ length: Int) {
            guard used + length > capacity else { return }
            let newCapacity = max(capacity * 2, used + length)
            let newBytes = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
            newBytes.copyMemory(from: bytes, byteCount: used)
            bytes.deallocate()
            bytes = newBytes
            capacity = newCapacity
        }
    }

    /// Batches in the ring: the reader can be this many batches ahead.
    static let batchCount = 4
    /// A batch ends after this many packets or bytes, whichever comes first (about 1 ms of
    /// decoding: the caller's output still leaves often, and the ring stays a few MiB).
    static let batchPackets = 2048
    static let batchBytes = 1 << 20

    private let pcap: OpaquePointer
    private let batches: [Batch]
    private let filled: UnsafeMutablePointer<sem_t>
    private let emptied: UnsafeMutablePointer<sem_t>
    private let finished: UnsafeMutablePointer<sem_t>
    /// Set by the caller to make the reader stop before its next batch.
    private let stopRequested = Atomic(false)
    /// The caller's position in the ring (only the caller touches it).
    private var taken = 0
    private var stopped = false

    private init(pcap: OpaquePointer) {
        self.pcap = pcap
        batches = (0..<Self.batchCount).map { _ in Batch(capacity: Self.batchBytes + 65_536) }
        filled = .allocate(capacity: 1)
        emptied = .allocate(capacity: 1)
        finished = .allocate(capacity: 1)
        sem_init(filled, 0, 0)
        sem_init(emptied, 0, UInt32(Self.batchCount))
        sem_init(finished, 0, 0)
    }

    deinit {
        for semaphore in [filled, emptied, finished] {
            sem_destroy(semaphore)
            semaphore.deallocate()
        }
    }

    /// Starts reading `pcap` on a new thread; nil when no thread can be started (the caller
    /// then reads on its own). Call `stop()` before the handle is closed.
    static func start(_ pcap: OpaquePointer) -> FileReadAhead? {
        let reader = FileReadAhead(pcap: pcap)
        return Threads.detach(stackSize: 256 * 1024) { reader.readLoop() } ? reader : nil
    }

    /// The next batch in file order, waiting for the reader. Give it back with `release()`
    /// before asking for another; its bytes are valid until then.
    func next() -> Batch {
        wait(filled)
        let batch = batches[taken % Self.batchCount]
        taken += 1
        return batch
    }

    func release() { sem_post(emptied) }

    /// Makes the reader stop and waits until it has (at most one batch of reading); after
    /// this the handle is the caller's again. Idempotent.
    func stop() {
        guard !stopped else { return }
        stopped = true
        stopRequested.store(true, ordering: .releasing)
        sem_post(emptied)  // wakes a reader waiting for a free batch
        wait(finished)
    }

    private func readLoop() {
        defer { sem_post(finished) }
        var index = 0
        while true {
            wait(emptied)
            if stopRequested.load(ordering: .acquiring) { return }
            let batch = batches[index % Self.batchCount]
            index += 1
            fill(batch)
            let last = batch.end != nil
            sem_post(filled)
            if last { return }
        }
    }

    private func fill(_ batch: Batch) {
        batch.reset()
        // Locals while reading (a class's stored properties are checked for exclusive access
        // on every use), stored back at the end.
        var records = batch.records
        batch.records = []
        var used = 0
        var bytes = batch.bytes, capacity = batch.capacity
        defer {
            batch.records = records
            batch.used = used
        }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while records.count < Self.batchPackets && used < Self.batchBytes {
            let status = pcap_next_ex(pcap, &header, &data)
            guard status == 1, let header, let data else {
                // A file read returns PCAP_ERROR_BREAK at its end (and after pcap_breakloop).
                batch.end =
                    status == PCAP_ERROR_BREAK || status == 0
                    ? .endOfFile : .failed(String(cString: pcap_geterr(pcap)))
                return
            }
            let record = header.pointee
            let length = Int(record.caplen)
            if used + length > capacity {
                batch.used = used
                batch.makeRoom(length)
                bytes = batch.bytes
                capacity = batch.capacity
            }
            bytes.advanced(by: used).copyMemory(from: data, byteCount: length)
            records.append(
                Record(
                    seconds: Int64(record.ts.tv_sec), fraction: Int(record.ts.tv_usec), captureLength: length,
                    wireLength: Int(record.len), offset: used))
            // Keep each packet 8-byte aligned, as libpcap's own buffer keeps them.
            used += (length + 7) & ~7
        }
    }

    private func wait(_ semaphore: UnsafeMutablePointer<sem_t>) {
        while sem_wait(semaphore) != 0 && errno == EINTR {}
    }
}
