import ArgumentParser
import CSockets
import Foundation
import ProcessControl
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

extension NetworkPath.Side: ExpressibleByArgument {}

struct PathCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "path",
        abstract: "A realistic path (delay, rate, loss, MTU 1500) between two network namespaces.",
        discussion: """
            On loopback the MSS is 65,495 bytes and a round trip takes microseconds, so TCP never
            fills a window or retransmits. `path run` makes two network namespaces, a client side
            (10.213.0.1) and a server side (10.213.0.2), each with one device, netlab0, and joins
            them through netlab's own relay, which delays, rate-limits, queues, loses, reorders and
            duplicates packets, seeded so the same --seed makes the same decisions. Nothing of it
            is visible in your own namespace; everything goes away when `path run` ends (Ctrl-C
            included), and a path left by a killed run is removed by the next one (or `path clean`).
            Needs root.

            Examples:
              sudo netlab path run --delay 40ms±5ms --rate 10mbit --loss 1% -- netlab server http --bind 0.0.0.0 --port 8000
              sudo netlab path exec -- curl -o /dev/null http://10.213.0.2:8000/big      # another terminal
              sudo netlab sniff --path client tcp port 8000                              # a third one
              sudo netlab path shell --side server
            """,
        subcommands: [PathRun.self, PathExec.self, PathShell.self, PathClean.self]
    )

    /// The one line a user without root gets, and its exit code.
    static func requireRoot(_ what: String) throws {
        guard geteuid() == 0 else {
            throw Failure(
                "netlab path needs root: it creates and enters network namespaces (CAP_SYS_ADMIN); "
                    + "run `sudo netlab path \(what)`",
                exitCode: ExitCodes.permission)
        }
    }
}

struct PathRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Bring a path up; run SERVER-COMMAND on its server side (or wait for Ctrl-C); take it down.",
        discussion: """
            The shaping applies to each direction on its own: a packet first meets the loss
            (--gilbert, then --loss), then the bottleneck (--rate, with --queue packets of room;
            a packet that finds it full is dropped), then --delay with its jitter, --reorder and
            --dup. The relay's counters for each direction are printed at the end. With the same
            --seed and the same packets, the counters are the same (queue drops also depend on
            timing, so they can differ between runs with --rate).

            Examples:
              sudo netlab path run --delay 40ms --rate 10mbit --queue 64 -- netlab server http --bind 0.0.0.0 --root .
              sudo netlab path run --loss 1% --seed 7               # no command: up until Ctrl-C
              sudo netlab path run --gilbert 1%,25% --mtu 1280 -- netlab server echo --bind 0.0.0.0 --port 5000
            """
    )

    @Option(help: "One-way delay in milliseconds, with optional jitter: 40, 40ms, 40ms±5ms or 40+-5.")
    var delay = "0"

    @Option(help: "Bottleneck rate: 10mbit, 500kbit, 1gbit (bits per second); 0 for none.")
    var rate = "0"

    @Option(help: "Packets the bottleneck queue holds; more are dropped.")
    var queue = 64

    @Option(help: "Random loss, e.g. 1%.")
    var loss = "0%"

    @Option(help: "Bursty loss (Gilbert-Elliott) P,R[,BAD[,GOOD]] in percent: 1%,25% = bursts of 4 on average.")
    var gilbert: String?

    @Option(help: "Packets held back so later ones overtake them, e.g. 1%.")
    var reorder = "0%"

    @Option(help: "Packets duplicated, e.g. 1%.")
    var dup = "0%"

    @Option(help: "The MTU of both sides (TCP's MSS is 40 less).")
    var mtu = 1500

    @Option(help: "Seed for the relay's decisions.")
    var seed: UInt64 = 1

    @Argument(parsing: .postTerminator, help: "The server side's command, after --.")
    var command: [String] = []

    func validate() throws {
        for (name, value) in [("--loss", loss), ("--reorder", reorder), ("--dup", dup)]
        where Impairment.parsePercent(value) == nil {
            throw ValidationError("\(name) takes a percentage from 0% to 100%, not '\(value)'")
        }
        if Impairment.parseDelay(delay) == nil {
            throw ValidationError(
                "--delay takes milliseconds with optional jitter, like 40ms or 40ms±5ms, not '\(delay)'")
        }
        if LinkShape.parseRate(rate) == nil {
            throw ValidationError("--rate takes bits per second like 10mbit, 500kbit or 1gbit, not '\(rate)'")
        }
        if let gilbert, LinkShape.GilbertElliott.parse(gilbert) == nil {
            throw ValidationError("--gilbert takes P,R[,BAD[,GOOD]] as percentages with R above 0, like 1%,25%")
        }
        if queue < 1 || queue > 100_000 { throw ValidationError("--queue takes 1 to 100000 packets") }
        if mtu < 576 || mtu > 65_535 { throw ValidationError("--mtu takes 576 to 65535 bytes") }
    }

    var shape: LinkShape {
        var shape = LinkShape()
        shape.impairment.loss = Impairment.parsePercent(loss)!
        shape.impairment.reorder = Impairment.parsePercent(reorder)!
        shape.impairment.duplicate = Impairment.parsePercent(dup)!
        (shape.impairment.delay, shape.impairment.jitter) = Impairment.parseDelay(delay)!
        shape.impairment.seed = seed
        shape.rate = LinkShape.parseRate(rate)!
        shape.queue = queue
        shape.mtu = mtu
        shape.burstLoss = gilbert.flatMap(LinkShape.GilbertElliott.parse)
        return shape
    }

    func run() throws {
        try PathCommand.requireRoot("run")
        for line in NetworkPath.removeStale() { Console.error("netlab: \(line)") }
        Signals.ignoreBrokenPipe()
        Signals.installStopHandlers()
        let path: NetworkPath
        do {
            path = try NetworkPath(shape: shape, owner: getpid())
        } catch {
            throw failure(error)
        }
        defer { path.remove() }
        // A crash still removes the names (the next run would otherwise find them stale), and a
        // closed terminal (SIGHUP) is a stop request like Ctrl-C.
        netlab_unbind_on_crash(path.names[0], path.names[1])
        defer { netlab_unbind_on_crash(nil, nil) }
        var hangup = sigaction()
        hangup.__sigaction_handler.sa_handler = { _ in Signals.requestStop() }
        sigemptyset(&hangup.sa_mask)
        sigaction(SIGHUP, &hangup, nil)
        let me = getpid()
        Console.error(
            "path up: client \(NetworkPath.Side.client.address) (netns netlab-\(me)-client) ⇄ server "
                + "\(NetworkPath.Side.server.address) (netns netlab-\(me)-server), device \(NetworkPath.interfaceName); "
                + "\(path.shape)")
        var child: pid_t?
        if !command.isEmpty {
            do {
                child = try path.spawn(command, on: .server)
            } catch {
                throw failure(error)
            }
            Console.error("server side runs: \(command.joined(separator: " ")) (pid \(child!))")
        }
        Console.error("client side: sudo netlab path exec -- COMMAND   (Ctrl-C here takes the path down)")
        var status: Int32 = 0
        var exited = false
        while !Signals.stopRequested {
            if let child, waitpid(child, &status, WNOHANG) == child {
                exited = true
                break
            }
            usleep(20_000)
        }
        if let child, !exited {
            // Ctrl-C reached the command too (same process group); SIGTERM covers kill(1).
            kill(child, SIGTERM)
            if !Self.reap(child, &status, within: 3) {
                kill(child, SIGKILL)
                _ = Self.reap(child, &status, within: 2)
            }
        }
        let counters = path.finish(timeout: 0.5)
        path.remove()
        Console.error("path down. relay counters (seed \(seed)):")
        Console.error("  client → server: \(counters[0])")
        Console.error("  server → client: \(counters[1])")
        if exited {
            let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            if code != 0 {
                Console.error(
                    "netlab: the server command exited with status \(code)"
                        + (code == 127 ? " (not found: is it on PATH?)" : ""))
                throw ExitCode(code)
            }
        }
    }

    /// Waits for `child` to end, for at most `seconds`; true when it did.
    static func reap(_ child: pid_t, _ status: inout Int32, within seconds: Double) -> Bool {
        let deadline = Clock.now + seconds
        while Clock.now < deadline {
            if waitpid(child, &status, WNOHANG) == child { return true }
            usleep(20_000)
        }
        return false
    }
}

/// What `path exec` and `path shell` share: which path, which side.
struct PathTarget: ParsableArguments {
    @Option(help: "The side to run on: client or server.")
    var side: NetworkPath.Side = .client

    @Option(help: "The pid of the `netlab path run` whose path to use (default: the highest pid).")
    var owner: Int32?

    /// Enters the side and replaces this process with `arguments`; returns only on failure.
    func execute(_ arguments: [String]) throws -> Never {
        let path: NetworkPath.Named
        do {
            path = try NetworkPath.enter(side, owner: owner)
        } catch {
            // No path up is "unavailable", not a missing input file.
            if error.errno == .noSuchFileOrDirectory {
                throw Failure(error.description, exitCode: ExitCodes.unavailable)
            }
            throw failure(error)
        }
        setenv(NetworkPath.marker, "\(side.rawValue) \(path.owner)", 1)
        // netlab ignores SIGPIPE; the program it becomes should not inherit that.
        signal(SIGPIPE, SIG_DFL)
        let pointers = arguments.map { strdup($0) } + [nil]
        execvp(arguments[0], pointers)
        let reason = String(cString: strerror(errno))
        throw Failure("cannot run \(arguments[0]): \(reason)", exitCode: errno == ENOENT ? 127 : 126)
    }
}

struct PathExec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command on one side of the running path (the client side by default).",
        discussion: """
            Examples:
              sudo netlab path exec -- curl -o /dev/null http://10.213.0.2:8000/
              sudo netlab path exec -- netlab client tcp 10.213.0.2 5000
              sudo netlab path exec --side server -- ss -tin
            """
    )

    @OptionGroup var target: PathTarget

    @Argument(parsing: .postTerminator, help: "The command, after --.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --, like: netlab path exec -- curl …") }
    }

    func run() throws {
        try PathCommand.requireRoot("exec -- \(command.joined(separator: " "))")
        try target.execute(command)
    }
}

struct PathShell: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "A shell on one side of the running path ($SHELL, or /bin/sh); exit to leave.",
        discussion: """
            Examples:
              sudo netlab path shell                  # client side: ping 10.213.0.2, curl, your programs
              sudo netlab path shell --side server
            """
    )

    @OptionGroup var target: PathTarget

    func run() throws {
        try PathCommand.requireRoot("shell")
        let shell = ProcessInfo.processInfo.environment["SHELL"].flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh"
        Console.error(
            "\(target.side) side of the path (\(target.side.address) on \(NetworkPath.interfaceName)); "
                + "the other side is \(target.side == .client ? NetworkPath.Side.server.address : NetworkPath.Side.client.address). exit to leave."
        )
        try target.execute([shell])
    }
}

struct PathClean: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Remove paths left by a killed `netlab path run`; list those still running."
    )

    func run() throws {
        try PathCommand.requireRoot("clean")
        let removed = NetworkPath.removeStale()
        for line in removed { Console.output(line) }
        let live = NetworkPath.named().filter(\.alive)
        for path in live { Console.output("running: the path of netlab process \(path.owner)") }
        if removed.isEmpty && live.isEmpty { Console.output("no paths") }
    }
}
