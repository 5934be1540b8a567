/// The last stage of both relays' decision, once a packet has got through (no loss, room in a
/// bottleneck): delay with jitter, the hold-back that reorders, and duplication. `ImpairmentEngine`
/// and `LinkShaper` draw their numbers in their own orders (their seeds' decisions must not
/// change), so the draws come in from them.
struct ReleaseStage: Sendable {
    /// When the last packet that was not deliberately reordered leaves: later ones never
    /// overtake it (jitter alone does not reorder, as with netem's rate-limited queue).
    private var lastRelease = 0.0

    /// This packet's share of the caller's draws, each uniform in 0..<1.
    struct Draws {
        var duplicate: Double
        var reorder: Double
        var jitter: Double
    }

    /// When each copy of a packet that may leave at `start` is released: one, or two when
    /// duplicated; `counters` counts the reordering, the duplicate and what is forwarded.
    mutating func release(
        from start: Double, _ impairment: Impairment, _ draws: Draws, counting counters: inout some ReleaseCounters
    ) -> [Double] {
        var release = start + max(0, impairment.delay + impairment.jitter * (2 * draws.jitter - 1))
        if draws.reorder < impairment.reorder {
            // Held back long enough for the next packets to pass it.
            counters.reordered += 1
            release = max(release, lastRelease) + max(0.002, impairment.delay + impairment.jitter)
        } else {
            release = max(release, lastRelease)
            lastRelease = release
        }
        var times = [release]
        if draws.duplicate < impairment.duplicate {
            counters.duplicated += 1
            times.append(release + 0.0001)
        }
        counters.forwarded += times.count
        return times
    }
}

/// The counters `ReleaseStage` keeps, in both relays' own counter types.
protocol ReleaseCounters {
    var reordered: Int { get set }
    var duplicated: Int { get set }
    var forwarded: Int { get set }
}

extension ImpairmentEngine.Counters: ReleaseCounters {}
extension LinkShaper.Counters: ReleaseCounters {}
