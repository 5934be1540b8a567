import Sockets

/// What `probe http` and `probe echo|chat|upload` share: the checks run in order (the destructive
/// ones last), each timed, and afterwards every failure gets its frames from the one capture.
enum ProbeRunner {
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

    /// Runs `selected` on `context`, in declared order but the destructive ones last. A check is
    /// skipped when one it `needs` did not pass, or when, after a failure, `gone` says how the
    /// server went away (nil: it is still there). `progress` sees each result as it is decided (in
    /// running order). `evidence` nil: no frames, and `capture` says whether they were asked for.
    static func run<Context>(
        _ selected: [DeclaredCheck<Context>], on context: Context, evidence: ProbeEvidence?, capture: Bool,
        progress: (ProbeResult) -> Void, gone: (Context) -> String?
    ) -> Outcome {
        let order = selected.filter { !$0.destructive } + selected.filter(\.destructive)
        var results: [String: ProbeResult] = [:]
        var windows: [String: (Double, Double)] = [:]
        var lastFailed: String?
        for check in order {
            let started = Clock.wall, startedMonotonic = Clock.now
            let outcome: ProbeOutcome
            if let needed = check.needs, let status = results[needed]?.status, status != .passed {
                outcome = .skip("needs \(needed), which \(status == .failed ? "failed" : "was skipped")")
            } else if let lastFailed, let gone = gone(context) {
                outcome = .skip("\(gone) (after \(lastFailed))")
            } else {
                outcome = check.run(context)
            }
            var result = ProbeResult(
                id: check.id, group: check.group, title: check.title,
                status: outcome.passed.map { $0 ? .passed : .failed } ?? .skipped, required: check.required,
                expected: check.expected, observed: outcome.observed, why: check.why, exchanges: outcome.exchanges)
            result.seconds = Clock.now - startedMonotonic
            if result.status == .failed { lastFailed = check.id }
            windows[check.id] = (started, Clock.wall)
            results[check.id] = result
            progress(result)
        }
        var ordered = selected.compactMap { results[$0.id] }
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
