import Foundation
import Inspect
import Sockets

/// `netlab probe http URL`: runs the checks of each group against a server the student wrote
/// (any language), and gathers for every failure the bytes sent and received and, when it may
/// capture, that check's frames.
public struct HTTPProbe {
    public var target: HTTPURL
    /// Seconds to wait for each answer (and for each connection).
    public var timeout = 5.0
    /// Groups to run (all when empty).
    public var only: Set<ProbeGroup> = []
    /// A resource larger than the socket buffers, when the links from `/` lead to none.
    public var large: String?
    /// A file outside the served tree whose first line must never come back.
    public var sentinel = "/etc/passwd"
    /// Capture the frames of failed checks (needs root or CAP_NET_RAW); false: bytes only.
    public var capture = true

    public init(target: HTTPURL) { self.target = target }

    static var checks: [ProbeCheck] {
        BasicsChecks.all + ByteStreamChecks.all + ConnectionChecks.all + ConcurrencyChecks.all + SafetyChecks.all
    }

    /// Every check id, in report order.
    public static var checkIDs: [String] { checks.map(\.id) }

    /// Runs the checks; `progress` sees each result as it is decided (in running order).
    public func run(progress: (ProbeResult) -> Void = { _ in }) throws(SocketError) -> ProbeReport {
        // A server that is not there is the user's mistake, not a failed check.
        do {
            let probe = try Socket.connect(host: target.host, port: target.port, timeout: timeout)
            probe.close()
        }
        let evidence = capture ? ProbeEvidence.start(target: target) : nil
        let resources = ProbeDiscovery.discover(target, timeout: timeout, large: large)
        let context = ProbeContext(
            target: target, timeout: timeout, resources: resources, sentinel: Self.readSentinel(sentinel),
            parallelClients: 50)
        let selected = Self.checks.filter { only.isEmpty || only.contains($0.group) }
        let order = selected.filter { !$0.destructive } + selected.filter(\.destructive)
        var results: [String: ProbeResult] = [:]
        var windows: [String: (Double, Double)] = [:]
        var lastFailed: String?
        for check in order {
            let started = Clock.wall, startedMonotonic = Clock.now
            var outcome: ProbeOutcome
            if let lastFailed, !context.serverAnswers() {
                outcome = .skip("the server stopped answering (after \(lastFailed))")
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
        var captureNote: String?
        if let evidence {
            let frames = evidence.stop()
            for index in ordered.indices where ordered[index].status == .failed {
                let ports = Set(ordered[index].exchanges.map(\.localPort).filter { $0 != 0 })
                guard let window = windows[ordered[index].id] else { continue }
                let (lines, ladder) = evidence.render(frames, ports: ports, from: window.0, to: window.1)
                ordered[index].frames = lines
                ordered[index].ladder = ladder
            }
        } else {
            captureNote =
                capture
                ? "no frames: live capture needs root or CAP_NET_RAW (the bytes are shown; run with sudo for the packets)"
                : "no frames (--no-capture)"
        }
        var report = ProbeReport(
            target: "http://\(target.authority)\(target.target)", results: ordered,
            model: ConcurrencyChecks.model(
                idle: results[ConcurrencyChecks.idleClient.id]?.status,
                parallel: results[ConcurrencyChecks.parallel.id]?.status),
            captureNote: captureNote)
        report.resources["file"] = resources.file ?? "none found (using /)"
        report.resources["directory"] = resources.directory
        report.resources["large"] =
            resources.large.map { "\($0) (\(resources.largeSize) bytes)" } ?? (resources.note ?? "none")
        report.resources["sentinel"] = context.sentinel?.path ?? "unreadable: \(sentinel)"
        return report
    }

    static func readSentinel(_ path: String) -> (String, String)? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let line = data.prefix { $0 != 0x0A }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count >= 4 else { return nil }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return ((absolute as NSString).standardizingPath, text)
    }
}
