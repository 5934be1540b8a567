import CSockets
import Foundation
import Synchronization

/// `netlab path`: two network namespaces, a client side and a server side, each with one TUN
/// device (`netlab0`, 10.213.0.1 and 10.213.0.2), joined by netlab's own `LinkRelay`, which
/// shapes every packet between them. Nothing of it exists in the host's namespace: no device,
/// no address, no route. Named paths (`netlab path run`) are bind-mounted under /run/netns as
/// `netlab-<owner pid>-client|server`, so `netlab path exec`, `netlab sniff --path` and
/// `ip netns exec` can enter them; anonymous ones (`netlab compare`) live only as descriptors
/// and vanish with the process whatever happens to it.
public final class NetworkPath: Sendable {
    public enum Side: String, Sendable, CaseIterable {
        case client, server
        /// Each side's address on its `netlab0`.
        public var address: String { self == .client ? "10.213.0.1" : "10.213.0.2" }
        var index: Int { self == .client ? 0 : 1 }
    }

    /// The device's name on both sides.
    public static let interfaceName = "netlab0"
    static let directory = "/run/netns"
    static let prefix = "netlab-"

    public let shape: LinkShape
    /// The bind-mount paths, when named: [client, server].
    public let names: [String]
    /// The namespaces' inode numbers (as `readlink /proc/PID/ns/net` shows them), [client, server].
    public let identities: [UInt64]
    private let namespaces: [Int32]
    private let devices: [Int32]
    private let relay: LinkRelay
    private let removed = Atomic<Bool>(false)

    /// Builds the path. `owner`: name it after that process id (normally getpid()); nil keeps
    /// it anonymous. Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN).
    public init(shape: LinkShape, owner: Int32? = nil) throws(SocketError) {
        self.shape = shape
        var namespaces: [Int32] = []
        var devices: [Int32] = []
        var names: [String] = []
        func undo() {
            for name in names { _ = netlab_netns_unbind(name) }
            for fd in devices + namespaces { close(fd) }
        }
        for side in Side.allCases {
            let namespace = netlab_netns_create()
            guard namespace >= 0 else {
                undo()
                throw Self.privilegeError("create a network namespace", code: -namespace)
            }
            namespaces.append(namespace)
            if let owner {
                let name = Self.path(owner: owner, side: side)
                let status = netlab_netns_bind(namespace, name)
                guard status == 0 else {
                    undo()
                    throw Self.privilegeError("name the namespace \(name)", code: -status)
                }
                names.append(name)
            }
            var device: Int32 = -1
            var failure = Self.run(in: namespace) {
                var actual = [CChar](repeating: 0, count: 16)
                device = netlab_tun_create(Self.interfaceName, side.address, 24, Int32(shape.mtu), &actual)
            }
            if failure == 0 && device < 0 { failure = -device }
            guard failure == 0 else {
                undo()
                throw Self.privilegeError("create \(Self.interfaceName) in the \(side) namespace", code: failure)
            }
            devices.append(device)
        }
        self.namespaces = namespaces
        self.devices = devices
        self.names = names
        identities = namespaces.map { fd in
            var info = stat()
            return fstat(fd, &info) == 0 ? UInt64(info.st_ino) : 0
        }
        relay = LinkRelay(client: devices[0], server: devices[1], shape: shape)
    }

    deinit { remove() }

    private static func privilegeError(_ operation: String, code: Int32) -> SocketError {
        SocketError(
            operation, code: code,
            detail: code == EPERM || code == EACCES
                ? "network namespaces need root (CAP_SYS_ADMIN and CAP_NET_ADMIN)" : nil)
    }

    /// Runs `body` with the calling thread in namespace `fd`, then moves it back; the errno
    /// when a move fails (0 when both worked). Sockets and devices made in `body` stay there.
    private static func run(in fd: Int32, _ body: () -> Void) -> Int32 {
        let original = netlab_netns_current()
        guard original >= 0 else { return -original }
        defer { close(original) }
        let entered = netlab_netns_enter(fd)
        guard entered == 0 else { return -entered }
        body()
        let back = netlab_netns_enter(original)
        // A thread that cannot return would run the rest of the program inside the path.
        precondition(back == 0, "could not return from a network namespace")
        return 0
    }

    /// Runs `body` on this thread inside one side of the path: sockets it opens belong to that
    /// side (a listener on the server side, a client on the client side) and stay there after.
    public func inside<T>(_ side: Side, _ body: () throws(SocketError) -> T) throws(SocketError) -> T {
        var result: Result<T, SocketError>?
        let failure = Self.run(in: namespaces[side.index]) {
            do throws(SocketError) {
                result = .success(try body())
            } catch {
                result = .failure(error)
            }
        }
        guard failure == 0, let result else { throw SocketError("enter the \(side) namespace", code: failure) }
        return try result.get()
    }

    /// `body` inside one side of `path`, or right here when there is no path (loopback runs).
    public static func inside<T>(_ path: NetworkPath?, _ side: Side, _ body: () throws(SocketError) -> T)
        throws(SocketError) -> T
    {
        guard let path else { return try body() }
        return try path.inside(side, body)
    }

    /// Starts `arguments` (found on PATH) as a child process inside one side. Returns its pid.
    public func spawn(_ arguments: [String], on side: Side) throws(SocketError) -> pid_t {
        try Self.spawn(arguments, inNamespace: namespaces[side.index])
    }

    static func spawn(_ arguments: [String], inNamespace fd: Int32) throws(SocketError) -> pid_t {
        guard !arguments.isEmpty else { throw SocketError("run a command", code: 0, detail: "no command to run") }
        var pointers = arguments.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        let pid = netlab_spawn_in_netns(fd, &pointers)
        guard pid > 0 else { throw SocketError("fork", code: -pid) }
        return pid
    }

    /// Stops the relay (releasing what it holds, for at most `timeout` seconds) and returns
    /// each direction's counters: [client → server, server → client].
    public func finish(timeout: Double = 2) -> [LinkShaper.Counters] { relay.finish(timeout: timeout) }

    /// Takes the path down: the relay stops, every process still inside either namespace is
    /// ended (SIGTERM, then SIGKILL after `grace` seconds), the names are unmounted and the
    /// devices and namespaces closed. Idempotent.
    public func remove(grace: Double = 2) {
        guard !removed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if !relay.isFinished { _ = relay.finish(timeout: 0.1) }
        // Only named paths can have processes of others inside (anonymous ones are this process's).
        if !names.isEmpty { Self.endProcesses(in: Set(identities), grace: grace) }
        for name in names { _ = netlab_netns_unbind(name) }
        // Devices only once the relay's thread is gone (it would write to reused descriptors).
        if relay.isFinished { for device in devices { close(device) } }
        for namespace in namespaces { close(namespace) }
    }
}

// MARK: - Named paths: finding, entering, cleaning

extension NetworkPath {
    /// The bind-mount path of one side of the path `owner` runs.
    public static func path(owner: Int32, side: Side) -> String { "\(directory)/\(prefix)\(owner)-\(side)" }

    /// A named path found under /run/netns.
    public struct Named: Sendable, Equatable {
        public var owner: Int32
        public var sides: [Side]
        /// The owner still runs (a netlab process with that pid).
        public var alive: Bool
    }

    /// Every named path under /run/netns, by owner pid.
    public static func named() -> [Named] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var found: [Int32: [Side]] = [:]
        for entry in entries where entry.hasPrefix(prefix) {
            let parts = entry.dropFirst(prefix.count).split(separator: "-")
            guard parts.count == 2, let owner = Int32(parts[0]), owner > 0, let side = Side(rawValue: String(parts[1]))
            else { continue }
            found[owner, default: []].append(side)
        }
        return found.keys.sorted().map { Named(owner: $0, sides: found[$0]!, alive: ownerRuns($0)) }
    }

    /// True when `pid` is a running netlab (a pid reused by another program does not count).
    static func ownerRuns(_ pid: Int32) -> Bool {
        guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return false }
        return comm.hasPrefix("netlab")
    }

    /// Removes the paths whose owner is gone (a killed or crashed `netlab path run`): ends the
    /// processes left inside, unmounts the names. Returns one line per path removed.
    public static func removeStale() -> [String] {
        var messages: [String] = []
        // A path named after this very process is stale too: a killed run whose pid came back.
        for path in named() where !path.alive || path.owner == getpid() {
            let files = path.sides.map { Self.path(owner: path.owner, side: $0) }
            let identities = Set(
                files.compactMap { file -> UInt64? in
                    var info = stat()
                    return stat(file, &info) == 0 ? UInt64(info.st_ino) : nil
                })
            let ended = endProcesses(in: identities, grace: 1)
            for file in files { _ = netlab_netns_unbind(file) }
            messages.append(
                "removed the stale path of netlab process \(path.owner), which no longer runs ("
                    + files.joined(separator: ", ")
                    + (ended > 0 ? "; ended \(ended) process\(ended == 1 ? "" : "es") left inside" : "") + ")")
        }
        return messages
    }

    /// Pids of the processes whose network namespace is one of `identities` (this one excluded).
    public static func processes(in identities: Set<UInt64>) -> [pid_t] {
        guard !identities.isEmpty else { return [] }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        let me = getpid()
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), pid != me else { return nil }
            var info = stat()
            guard stat("/proc/\(pid)/ns/net", &info) == 0, identities.contains(UInt64(info.st_ino)) else { return nil }
            return pid
        }
    }

    /// SIGTERM to every process inside, SIGKILL to those still there after `grace` seconds.
    /// Returns how many there were.
    @discardableResult
    static func endProcesses(in identities: Set<UInt64>, grace: Double) -> Int {
        let initial = processes(in: identities)
        for pid in initial { kill(pid, SIGTERM) }
        let deadline = Clock.now + grace
        var remaining = initial
        while !remaining.isEmpty && Clock.now < deadline {
            usleep(20_000)
            remaining = processes(in: identities)
        }
        for pid in remaining { kill(pid, SIGKILL) }
        return initial.count
    }

    /// The live path to enter: `owner`'s, or the one with the highest owner pid. Throws when there is none.
    public static func live(owner: Int32?) throws(SocketError) -> Named {
        let paths = named().filter(\.alive)
        if let owner {
            guard let path = paths.first(where: { $0.owner == owner }) else {
                throw SocketError(
                    "find the path of netlab process \(owner)", code: ENOENT,
                    detail: "no running `netlab path run` with pid \(owner)")
            }
            return path
        }
        guard let path = paths.last else {
            throw SocketError(
                "find a path", code: ENOENT,
                detail: "no path is up: start one with `sudo netlab path run` in another terminal")
        }
        return path
    }

    /// Moves this thread into one side of a live path; then `execv`/`execvp` runs the new
    /// program there with every thread inside. Returns the path entered.
    public static func enter(_ side: Side, owner: Int32?) throws(SocketError) -> Named {
        let path = try live(owner: owner)
        let file = Self.path(owner: path.owner, side: side)
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SocketError("open \(file)") }
        defer { close(fd) }
        let status = netlab_netns_enter(fd)
        guard status == 0 else { throw privilegeError("enter \(file)", code: -status) }
        return path
    }
}

extension NetworkPath {
    /// Set by `reexecute` to the side entered, so the new program knows it already runs there.
    public static let marker = "NETLAB_PATH_SIDE"

    /// True when this process already runs on that side of a path (re-run by `reexecute`, or
    /// started by `netlab path exec` or `path shell`).
    public static func entered(_ side: Side) -> Bool {
        ProcessInfo.processInfo.environment[marker]?.hasPrefix("\(side.rawValue) ") == true
    }

    /// Moves into one side of a live path and runs this program again there with the same
    /// arguments (exec: every thread of the new program is inside). Returns only on failure.
    public static func reexecute(inside side: Side, owner: Int32?) -> SocketError {
        do throws(SocketError) {
            let path = try enter(side, owner: owner)
            setenv(marker, "\(side.rawValue) \(path.owner)", 1)
            let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
            execv("/proc/self/exe", arguments)
            return SocketError("execv /proc/self/exe")
        } catch {
            return error
        }
    }
}
