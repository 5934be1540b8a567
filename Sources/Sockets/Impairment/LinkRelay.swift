import ProcessControl
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The userspace link between `netlab path`'s two namespaces: it holds one TUN device's
/// descriptor from each, reads every IPv4 packet one side's kernel sends, lets a `LinkShaper`
/// decide its fate, and writes it into the other side's device when it is due. Nothing is
/// rewritten (each side has its own address on its own device), so checksums stay valid, and
/// the relay itself has no address anywhere.
final class LinkRelay: Sendable {
    /// [client, server] TUN descriptors; direction 0 is client → server, 1 is server → client.
    private let devices: [Int32]
    private let shapers: Mutex<[LinkShaper]>
    /// The time (monotonic seconds, as bits) by which a stopping relay gives up on what it holds;
    /// 0 while running.
    private let stopDeadline = Atomic<UInt64>(0)
    private let finished = Atomic<Bool>(false)

    init(client: Int32, server: Int32, shape: LinkShape) {
        devices = [client, server]
        shapers = Mutex([LinkShaper(shape, stream: 0), LinkShaper(shape, stream: 1)])
        for device in devices { _ = fcntl(device, F_SETFL, fcntl(device, F_GETFL) | O_NONBLOCK) }
        Threads.detach(stackSize: 1 << 20) { [self] in run() }
    }

    private func run() {
        var queues = [TimedQueue(), TimedQueue()]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let now = Clock.now
            for direction in 0..<2 {
                while let packet = queues[direction].popDue(now) {
                    _ = packet.withUnsafeBytes { write(devices[1 - direction], $0.baseAddress, $0.count) }
                }
            }
            let deadline = Double(bitPattern: stopDeadline.load(ordering: .acquiring))
            let idle = queues[0].isEmpty && queues[1].isEmpty
            var entries = devices.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            // Stop only when nothing waits in the queues or, unread, in the devices (a relay that
            // fell behind still counts everything that was sent), or when the time is up.
            if deadline > 0 && (now > deadline || (idle && poll(&entries, 2, 0) == 0)) { break }
            let next = [queues[0].nextTime, queues[1].nextTime].compactMap { $0 }.min()
            let wait = next.map { max(0, min($0 - now, 0.05)) } ?? 0.05
            guard poll(&entries, 2, Int32((wait * 1000).rounded(.up))) > 0 else { continue }
            for direction in 0..<2 where entries[direction].revents & Int16(POLLIN) != 0 {
                // A bounded batch, so one busy direction cannot starve the other's releases.
                for _ in 0..<256 {
                    let count = buffer.withUnsafeMutableBytes { read(devices[direction], $0.baseAddress, $0.count) }
                    guard count > 0 else { break }
                    // IPv4 only: the path has no IPv6 addresses (the kernel may still send
                    // IPv6 solicitations out of a new device; they go nowhere and count nowhere).
                    guard count >= 20, buffer[0] >> 4 == 4 else { continue }
                    let arrival = Clock.now
                    let times = shapers.withLock { $0[direction].decide(size: count, now: arrival) }
                    for time in times { queues[direction].add(Array(buffer[..<count]), at: time) }
                }
            }
        }
        finished.store(true, ordering: .releasing)
    }

    /// Releases what is still held back (for at most `timeout` seconds), stops, and returns
    /// what each direction did: [client → server, server → client].
    func finish(timeout: Double) -> [LinkShaper.Counters] {
        let deadline = Clock.now + max(0.001, timeout)
        stopDeadline.store(deadline.bitPattern, ordering: .releasing)
        while !finished.load(ordering: .acquiring) && Clock.now < deadline + 1 { usleep(1000) }
        return shapers.withLock { $0.map(\.counters) }
    }

    /// True once the relay's thread has ended (its devices may be closed then).
    var isFinished: Bool { finished.load(ordering: .acquiring) }
}
