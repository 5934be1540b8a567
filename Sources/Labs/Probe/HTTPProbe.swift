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
        try ProbeRunner.requireListener(host: target.host, port: target.port, timeout: timeout)
        let evidence = capture ? ProbeEvidence.start(target: target) : nil
        let resources = ProbeDiscovery.discover(target, timeout: timeout, large: large)
        let context = ProbeContext(
            target: target, timeout: timeout, resources: resources, sentinel: Self.readSentinel(sentinel),
            parallelClients: 50)
        let selected = Self.checks.filter { only.isEmpty || only.contains($0.group) }
        let outcome = ProbeRunner.run(
            selected, on: context, evidence: evidence, capture: capture, progress: progress
        ) { $0.serverAnswers() ? nil : "the server stopped answering" }
        var report = ProbeReport(
            target: "http://\(target.authority)\(target.target)", results: outcome.results,
            model: ConcurrencyChecks.model(
                idle: outcome.status(ConcurrencyChecks.idleClient.id),
                parallel: outcome.status(ConcurrencyChecks.parallel.id)),
            captureNote: outcome.captureNote)
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
