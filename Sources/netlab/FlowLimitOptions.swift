import ArgumentParser
import Inspect

/// Memory bounds for TCP tracking and reassembly, shared by the commands that follow connections.
struct FlowLimitOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Bytes one direction of a connection may hold while waiting for a missing segment; beyond it the hole is reported as a gap.",
            valueName: "bytes"))
    var maxWaitingBytes = TCPTracker.Limits().waitingBytesPerDirection

    @Option(
        help: ArgumentHelp(
            "Connections whose reassembly and analysis state is kept at once; the least recently active lose it beyond this.",
            valueName: "n"))
    var maxLiveConnections = TCPTracker.Limits().liveConnections

    func validate() throws {
        if maxWaitingBytes < 0 { throw ValidationError("--max-waiting-bytes cannot be negative") }
        if maxLiveConnections < 1 { throw ValidationError("--max-live-connections needs at least 1") }
    }

    var limits: TCPTracker.Limits {
        var limits = TCPTracker.Limits()
        limits.waitingBytesPerDirection = maxWaitingBytes
        limits.liveConnections = maxLiveConnections
        return limits
    }
}
