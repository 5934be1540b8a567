import CSockets

#if canImport(Glibc)
    import Glibc
#endif

/// An impairing "link" for any IPv4 traffic, TCP included, built from a TUN device. Packets
/// sent to `remoteAddress` leave through the TUN device into this relay, which impairs them,
/// swaps their source and destination addresses and writes them back: to the kernel they
/// arrive from `remoteAddress` for `localAddress`. A connection from a socket to
/// remoteAddress:P therefore reaches a listener on localAddress:P, and every segment of it, in
/// both directions, crosses the relay. Swapping the two addresses leaves the IP, TCP and UDP
/// checksums valid (one's-complement sums do not depend on order). Needs CAP_NET_ADMIN.
public final class PacketRelay: @unchecked Sendable {
    public let localAddress: String
    public let remoteAddress: String
    public let interfaceName: String
    private let descriptor: Int32
    private let loop: RelayLoop

    public init(impairment: Impairment) throws(SocketError) {
        // A /24 of 10.213.0.0/16 chosen by process id, so parallel runs do not collide.
        let subnet = 20 + Int(getpid()) % 200
        localAddress = "10.213.\(subnet).1"
        remoteAddress = "10.213.\(subnet).2"
        var name = [CChar](repeating: 0, count: 16)
        let fd = netlab_tun_create("nlrelay%d", localAddress, 24, 1500, &name)
        guard fd >= 0 else {
            throw SocketError(
                "create a TUN device", code: -fd,
                detail: -fd == EPERM || -fd == EACCES
                    ? "creating a TUN device needs root (CAP_NET_ADMIN)"
                    : "TUN device: \(String(cString: strerror(-fd)))")
        }
        descriptor = fd
        interfaceName = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        loop = RelayLoop(impairment)
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        Threads.detach { [self] in run() }
    }

    deinit { _ = close(descriptor) }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let descriptor = descriptor
        loop.run(
            waitReadable: { (try? Poll.wait(descriptor, for: .readable, timeout: $0)) == true },
            read: {
                var packets: [[UInt8]] = []
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                    guard count >= 20 else { break }
                    // IPv4 only (the kernel may also send IPv6 neighbour discovery out of the device).
                    guard buffer[0] >> 4 == 4 else { continue }
                    var packet = Array(buffer[..<count])
                    for index in 12..<16 { packet.swapAt(index, index + 4) }
                    packets.append(packet)
                }
                return packets
            },
            forward: { packet in _ = packet.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } })
    }

    /// Releases what is still held back, stops, and returns what the relay did. The device
    /// goes away when the relay is released.
    public func finish(timeout: Double = 5) -> ImpairmentEngine.Counters { loop.finish(timeout: timeout) }
}
