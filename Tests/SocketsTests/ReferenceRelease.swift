@testable import Sockets

/// The test references' last stage (delay with jitter, the hold-back that reorders, duplication),
/// written apart from `ReleaseStage`: it keeps every in-order release and takes their maximum as
/// the time no later packet may beat, instead of one running value.
struct ReferenceRelease {
    var inOrder: [Double] = []

    /// The release times of a packet that may leave at `start`, counted in `counters`.
    mutating func times(
        from start: Double, _ impairment: Impairment, duplicate: Double, reorder: Double, jitter: Double,
        counting counters: inout some ReleaseCounters
    ) -> [Double] {
        let floor = inOrder.max() ?? 0
        var release = max(floor, start + max(0, impairment.delay + impairment.jitter * (2 * jitter - 1)))
        if reorder < impairment.reorder {
            counters.reordered += 1
            release += max(0.002, impairment.delay + impairment.jitter)
        } else {
            inOrder.append(release)
        }
        let times = duplicate < impairment.duplicate ? [release, release + 0.0001] : [release]
        counters.duplicated += times.count - 1
        counters.forwarded += times.count
        return times
    }
}
