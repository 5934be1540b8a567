/// Tells holes in a capture from holes on the network. A segment that starts beyond the bytes
/// seen so far (or an ACK for bytes never seen) shows a hole in a connection; on a complete
/// capture that is the network's doing (a lost segment), but when the capturing kernel itself
/// dropped packets it may well be the capture's. Then the connection is "capture incomplete",
/// and its holes, malformed messages and analysis flags are not evidence about the protocol.
public struct CaptureCompleteness: Sendable {
    /// Set by whoever reads the capture's counters (live capture: the kernel's drop count).
    public var captureLostPackets = false
    /// Connections (stream numbers) in which a hole was seen.
    public private(set) var streamsWithHoles: Set<Int> = []

    /// The analysis flags that mean "bytes are missing here".
    public static let holeFlags: TCPAnalysisFlags = [.lostSegment, .ackedUnseenSegment]

    public init(captureLostPackets: Bool = false) { self.captureLostPackets = captureLostPackets }

    /// What one segment showed.
    public enum Sighting: Equatable, Sendable {
        case noHole
        /// The first hole in its connection.
        case firstHole
        case anotherHole
    }

    /// Notes one segment's findings. A hole is the moment to read the drop counter: a packet
    /// after a hole arrives after the packets missing from it.
    public mutating func note(_ observation: TCPTracker.Observation) -> Sighting {
        var hole = !observation.flags.isDisjoint(with: Self.holeFlags)
        if !hole {
            hole = observation.delivered.contains {
                if case .gap = $0 { return true }
                return false
            }
        }
        guard hole else { return .noHole }
        return streamsWithHoles.insert(observation.stream).inserted ? .firstHole : .anotherHole
    }

    /// True when a connection's holes may be the capture's rather than the network's.
    public func isIncomplete(stream: Int) -> Bool { captureLostPackets && streamsWithHoles.contains(stream) }

    /// Connections whose holes may be the capture's.
    public var incompleteStreams: Int { captureLostPackets ? streamsWithHoles.count : 0 }
}
