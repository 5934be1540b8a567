import Capture
import Foundation
import Inspect
import Synchronization

/// A live capture running on its own thread while a demo does its socket calls; `stop()`
/// returns what it saw. Packets are copied out of libpcap's buffer as they arrive. Unchecked only
/// for the handle, which the capture thread alone reads (`stop` calls the one thread-safe libpcap
/// call, pcap_breakloop); the frames are behind a Mutex.
public final class BackgroundCapture: @unchecked Sendable {
    public struct Frame: Sendable {
        /// Seconds since 1970, as libpcap stamped it.
        public var time: Double
        public var seconds: Int64
        public var microseconds: Int
        public var wireLength: Int
        public var bytes: [UInt8]
    }

    public let linkType: LinkType
    public let rawLinkType: Int32
    private let handle: CaptureHandle
    private let frames = Mutex<[Frame]>([])
    private let finished = DispatchSemaphore(value: 0)

    private init(handle: CaptureHandle) {
        self.handle = handle
        linkType = LinkType(rawValue: handle.linkType)
        rawLinkType = handle.linkType
    }

    /// Writes frames to a pcap file (readable by tcpdump and Wireshark).
    public func save(_ frames: [Frame], to path: String) throws(CaptureError) {
        let writer = try CaptureWriter(path: path, linkType: rawLinkType)
        for frame in frames {
            frame.bytes.withUnsafeBytes { raw in
                writer.write(
                    CapturedPacket(
                        seconds: frame.seconds, fraction: frame.microseconds, captureLength: frame.bytes.count,
                        wireLength: frame.wireLength, bytes: raw))
            }
        }
        writer.flush()
    }

    /// Starts capturing on `interface` with a BPF filter. Fails without root or CAP_NET_RAW.
    public static func start(interface: String = "lo", filter: String) throws(CaptureError) -> BackgroundCapture {
        // Batched, like sniff: a burst (lesson 10 sends 20,000 datagrams/s) is read in blocks,
        // not one wake-up per packet, and the stop drains the last block, so nothing is lost.
        let handle = try CaptureHandle.live(interface: interface)
        try handle.setFilter(filter)
        let capture = BackgroundCapture(handle: handle)
        Thread.detachNewThread { capture.loop() }
        return capture
    }

    private func loop() {
        _ = try? handle.forEach { packet in
            let frame = Frame(
                time: Double(packet.seconds) + Double(packet.fraction) / 1e6, seconds: packet.seconds,
                microseconds: packet.fraction, wireLength: packet.wireLength, bytes: Array(packet.bytes))
            frames.withLock { $0.append(frame) }
            return true
        }
        finished.signal()
    }

    /// Waits `settle` seconds for the last packets, stops, and returns every frame seen.
    public func stop(settle: Double = 0.2) -> [Frame] {
        Thread.sleep(forTimeInterval: settle)
        handle.breakLoop()
        _ = finished.wait(timeout: .now() + 2)
        return frames.withLock { $0 }
    }
}
