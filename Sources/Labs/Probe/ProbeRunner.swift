import Sockets

/// A check's fixed words, as the runner needs them to order it and to build its result; both
/// `ProbeCheck` (HTTP) and `StreamCheck` (echo, chat, upload) are one.
protocol DeclaredCheck {
    var id: String { get }
    var group: ProbeGroup { get }
    var title: String { get }
    var expected: String { get }
    var why: String { get }
    var required: Bool { get }
    /// Runs after the others (see `ProbeCheck.destructive`).
    var destructive: Bool { get }
}

extension ProbeCheck: DeclaredCheck {}
extension StreamCheck: DeclaredCheck {}

/// What `probe http` and `probe echo|chat|upload` share: the checks run in order (the destructive
/// ones last), each timed, and afterwards every failure gets its frames from the one capture.
enum ProbeRunner {
    /// What the checks decided so far, for a check's "run or skip" decision.
    struct Progress {
        /// The results decided so far, by check id.
        var results: [String: ProbeResult] = [:]
        /// The id of the last check that failed: after one, the server may be gone.
        var lastFailed: String?
    }

    /// The results in the order the checks were declared, with the frames of the failures.
    struct Outcome {
        var results: [ProbeResult]
        /// Why no failure has frames (nil when capturing).
        var captureNote: String?

        func status(_ id: String) -> ProbeResult.Status? { results.first { $0.id == id }?.status }
    }

    /// A server that is not there is the user's mistake, not a failed check: this throws for it.
    static func requireListener(host: String, port: UInt16, timeout: Double) throws(SocketError) {
        let probe = try Socket.connect(host: host, port: port, timeout: timeout)
        probe.close()
    }

    /// Runs `selected` (in declared order) with `decide`, which runs a check or says why it is
    /// skipped; `progress` sees each result as it is decided (in running order). `evidence` nil:
    /// no frames, and `capture` says whether that was asked for (the note differs).
    static func run<Check: DeclaredCheck>(
        _ selected: [Check], evidence: ProbeEvidence?, capture: Bool, progress: (ProbeResult) -> Void,
        decide: (Check, Progress) -> ProbeOutcome
    ) -> Outcome {
        let order = selected.filter { !$0.destructive } + selected.filter(\.destructive)
        var state = Progress()
        var windows: [String: (Double, Double)] = [:]
        for check in order {
            let started = Clock.wall, startedMonotonic = Clock.now
            let outcome = decide(check, state)
            var result = ProbeResult(
                id: check.id, group: check.group, title: check.title,
                status: outcome.passed.map { $0 ? .passed : .failed } ?? .skipped, required: check.required,
                expected: check.expected, observed: outcome.observed, why: check.why, exchanges: outcome.exchanges)
            result.seconds = Clock.now - startedMonotonic
            if result.status == .failed { state.lastFailed = check.id }
            windows[check.id] = (started, Clock.wall)
            state.results[check.id] = result
            progress(result)
        }
        var ordered = selected.compactMap { state.results[$0.id] }
        guard let evidence else {
            return Outcome(
                results: ordered,
                captureNote: capture
                    ? "no frames: live capture needs root or CAP_NET_RAW (the bytes are shown; run with sudo for the packets)"
                    : "no frames (--no-capture)")
        }
        let frames = evidence.stop()
        for index in ordered.indices where ordered[index].status == .failed {
            let ports = Set(ordered[index].exchanges.map(\.localPort).filter { $0 != 0 })
            guard let window = windows[ordered[index].id] else { continue }
            let (lines, ladder) = evidence.render(frames, ports: ports, from: window.0, to: window.1)
            ordered[index].frames = lines
            ordered[index].ladder = ladder
        }
        return Outcome(results: ordered, captureNote: nil)
    }
}
