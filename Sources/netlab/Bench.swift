import ArgumentParser
import Inspect
import ProcessControl
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a server: load generators, like wrk, to compare concurrency models.",
        subcommands: [BenchHTTP.self]
    )
}

struct BenchHTTP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Load an HTTP server with N keep-alive connections: requests/s, latency percentiles, errors.",
        discussion: """
            Each connection sends a request, waits for the whole response (read with netlab's strict
            HTTP/1.1 parser), then sends the next, for -d seconds: a closed loop, as wrk does.
            Latency runs from the request's first byte to the response's last. Requests still
            waiting when time is up are not counted. A request unanswered after --timeout is an
            error and its connection is replaced. Progress goes to stderr once a second; Ctrl-C
            ends the run early with the results so far.

            Exit status: 0 when requests were answered (errors are reported, not fatal), 69 when
            the server cannot be reached, 75 when no request was answered at all.

            Examples (compare the four models, 并发 concurrency measured):
              netlab server http --root lessons/site --port 8000 --model serial &
              netlab bench http http://127.0.0.1:8000/ -c 10 -d 5
              netlab bench http http://127.0.0.1:8000/about.html -c 100 -d 10 --threads 2
              netlab bench http http://127.0.0.1:8000/ --no-keepalive --json
            """
    )

    @Argument(help: "An http:// URL (IPv6 addresses in brackets: http://[::1]:8080/).")
    var url: String

    @Option(name: [.customShort("c"), .long], help: "Connections kept open at once.")
    var connections = 10

    @Option(name: [.customShort("d"), .long], help: "Seconds to run.")
    var duration = 10.0

    @Option(name: [.customShort("t"), .long], help: "Event-loop threads (each takes a share of the connections).")
    var threads = 1

    @Option(help: "Seconds a request may wait for its response before it counts as an error.")
    var timeout = 2.0

    @Option(name: [.customShort("H"), .customLong("header")], help: "Extra header field, 'Name: value' (repeatable).")
    var headers: [String] = []

    @Flag(help: "Send 'Connection: close': a new connection for every request.")
    var noKeepalive = false

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    @Flag(name: [.customShort("q"), .long], help: "No progress lines.")
    var quiet = false

    func validate() throws {
        guard (1...100_000).contains(connections) else { throw ValidationError("-c must be between 1 and 100000") }
        guard (1...256).contains(threads), threads <= connections else {
            throw ValidationError("--threads must be between 1 and 256, and not more than -c")
        }
        guard duration > 0, duration <= 86_400 else { throw ValidationError("-d must be between 0 and 86400 seconds") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        for header in headers where !header.contains(":") {
            throw ValidationError("header '\(header)' needs the form 'Name: value'")
        }
    }

    func run() throws {
        let target: HTTPURL
        do {
            target = try HTTPURL.parse(url)
        } catch {
            throw Failure("\(error)", exitCode: ExitCodes.usage)
        }
        var configuration = HTTPLoad.Configuration(url: target)
        configuration.connections = connections
        configuration.threads = threads
        configuration.duration = duration
        configuration.timeout = timeout
        configuration.keepAlive = !noKeepalive
        configuration.headers = headers.map { line in
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), String(parts[1]).trimmingCharacters(in: " "))
        }
        ResourceLimits.raiseOpenFiles()
        Signals.installStopHandlers()
        let progress = HTTPLoad.Progress()
        let showProgress = !quiet && !json
        if showProgress {
            Console.error(
                "netlab bench: \(duration.formatted) s of GET \(target.target) on \(target.authority), "
                    + "\(connections) connection\(connections == 1 ? "" : "s") over \(threads) thread\(threads == 1 ? "" : "s")"
                    + (noKeepalive ? ", a new connection per request" : ", keep-alive"))
        }
        var last: UInt64 = 0
        let result: HTTPLoad.Result
        do {
            result = try HTTPLoad(configuration).run(
                progress: progress, shouldStop: { Signals.stopRequested },
                onTick: { seconds in
                    guard showProgress else { return }
                    let done = progress.requests
                    Console.error(
                        "  \(Int(seconds.rounded())) s: \(done.grouped) requests (\((done - last).grouped)/s), "
                            + "\(progress.errors.grouped) errors")
                    last = done
                })
        } catch {
            switch error {
            case .invalid(let why): throw Failure(why, exitCode: ExitCodes.usage)
            case .unreachable(let socketError):
                throw Failure(
                    "cannot reach \(target.authority): \(socketError.message)", exitCode: socketError.exitCode)
            }
        }
        var out = TextBuffer()
        if json {
            BenchReport.json(result, url: url, connections: connections, threads: threads, into: &out)
        } else {
            BenchReport.text(result, into: &out)
        }
        _ = Console.write(&out)
        if result.requests == 0 {
            let why = result.firstErrors.values.first.map { ": \($0)" } ?? ""
            throw Failure(
                "no request was answered in \(result.elapsed.formatted) s\(why)", exitCode: ExitCodes.tempFailure)
        }
    }
}

/// The text and JSON forms of a load result.
enum BenchReport {
    static func text(_ result: HTTPLoad.Result, into out: inout TextBuffer) {
        let latency = result.latency
        func ms(_ microseconds: Double) -> String { (microseconds / 1000).formatted(decimals: 2) + " ms" }
        out.append(string: "  \(result.requests.grouped) requests in \(result.elapsed.formatted(decimals: 2)) s, ")
        out.append(
            string: "\(megabytes(result.bytesReceived)) read, \(result.connectionsOpened.grouped) connections opened\n")
        out.append(string: "  Requests/sec: \(result.requestsPerSecond.formatted(decimals: 1))\n")
        out.append(string: "  Transfer/sec: \(megabytes(UInt64(result.bytesPerSecond)))\n")
        out.append(string: "  Latency      avg \(ms(latency.mean))  stdev \(ms(latency.standardDeviation))")
        out.append(string: "  max \(ms(Double(latency.maximum)))\n")
        out.append(string: "  Percentiles  ")
        out.append(
            string: [50.0, 90, 99, 99.9].map { "p\($0.formatted) \(ms(Double(latency.percentile($0))))" }
                .joined(separator: "  "))
        out.append(string: "\n")
        let classes = (1...5).filter { result.statusClasses[$0] > 0 }
            .map { "\($0)xx \(result.statusClasses[$0].grouped)" }
        out.append(string: "  Responses    \(classes.isEmpty ? "none" : classes.joined(separator: ", "))\n")
        if result.errorCount == 0 {
            out.append(string: "  Errors       none\n")
        } else {
            let counts = HTTPLoad.ErrorKind.allCases.compactMap { kind in
                result.errors[kind].map { "\(kind.rawValue) \($0.grouped)" }
            }
            out.append(string: "  Errors       \(counts.joined(separator: ", "))\n")
            for kind in HTTPLoad.ErrorKind.allCases {
                if let first = result.firstErrors[kind] {
                    out.append(string: "    first \(kind.rawValue) error: \(first)\n")
                }
            }
        }
    }

    static func json(_ result: HTTPLoad.Result, url: String, connections: Int, threads: Int, into out: inout TextBuffer)
    {
        let latency = result.latency
        out.append(string: "{\"url\":")
        JSONLines.appendString(url, into: &out)
        out.append(string: ",\"connections\":\(connections),\"threads\":\(threads)")
        out.append(string: ",\"seconds\":\(result.elapsed),\"requests\":\(result.requests)")
        out.append(string: ",\"requests_per_second\":\(result.requestsPerSecond),\"bytes\":\(result.bytesReceived)")
        out.append(string: ",\"connections_opened\":\(result.connectionsOpened)")
        out.append(string: ",\"latency_us\":{\"mean\":\(latency.mean),\"stdev\":\(latency.standardDeviation)")
        out.append(string: ",\"min\":\(latency.count == 0 ? 0 : latency.minimum),\"max\":\(latency.maximum)")
        out.append(string: ",\"p50\":\(latency.percentile(50)),\"p90\":\(latency.percentile(90))")
        out.append(string: ",\"p99\":\(latency.percentile(99)),\"p99_9\":\(latency.percentile(99.9))}")
        out.append(string: ",\"status\":{")
        out.append(string: (1...5).map { "\"\($0)xx\":\(result.statusClasses[$0])" }.joined(separator: ","))
        out.append(string: "},\"errors\":{")
        out.append(
            string: HTTPLoad.ErrorKind.allCases.map { "\"\($0.rawValue)\":\(result.errors[$0] ?? 0)" }
                .joined(separator: ","))
        out.append(string: "}}\n")
    }

    static func megabytes(_ bytes: UInt64) -> String {
        bytes >= 1 << 20
            ? (Double(bytes) / 1_048_576).formatted(decimals: 2) + " MiB"
            : (Double(bytes) / 1024).formatted(decimals: 1) + " KiB"
    }
}

extension UInt64 {
    /// 1234567 → "1,234,567".
    fileprivate var grouped: String {
        let digits = Array(String(self))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return text
    }
}

extension Double {
    /// A number with at most `decimals` decimals, trailing zeros kept ("3.10").
    fileprivate func formatted(decimals: Int) -> String {
        var factor = 1.0
        for _ in 0..<decimals { factor *= 10 }
        let scaled = (self * factor).rounded()
        guard scaled.isFinite, abs(scaled) < 1e15 else { return "\(self)" }
        let whole = Int64(scaled)
        let integer = whole / Int64(factor)
        guard decimals > 0 else { return "\(integer)" }
        let fraction = String(abs(whole % Int64(factor)))
        return "\(whole < 0 && integer == 0 ? "-" : "")\(integer)."
            + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// Whole numbers without ".0" (5 → "5", 99.9 → "99.9").
    fileprivate var formatted: String {
        self == rounded() && abs(self) < 1e15 ? "\(Int64(self))" : "\(self)"
    }
}
