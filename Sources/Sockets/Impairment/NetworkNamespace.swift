import CSockets
import Foundation

/// A network namespace of netlab's own, for relays that need addresses beyond loopback (the TUN
/// packet relay's 10.213.x.0/24): inside it nothing reaches the host's interfaces, and it vanishes
/// with the process. netlab never gives a private-range address to an interface of the host's own
/// namespace.
public enum NetworkNamespace {
    /// Set by `reexecutePrivately` to the namespace it made (as /proc/self/ns/net reads), so the
    /// new program knows it runs there.
    static let marker = "NETLAB_PRIVATE_NETNS"

    /// This namespace's identity, like `net:[4026532281]`.
    static var current: String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
    }

    /// True when this process runs in a namespace netlab made for it.
    public static var isPrivate: Bool {
        guard let made = ProcessInfo.processInfo.environment[marker] else { return false }
        return made == current
    }

    /// Moves this process into a new network namespace (loopback up, nothing else) and runs the
    /// same program again there, with the same arguments: exec replaces the process, so every
    /// thread of the new program is inside. Returns only on failure (not root, or namespaces not
    /// allowed here), with the reason; call it while the process is single-threaded.
    public static func reexecutePrivately() -> SocketError {
        let status = netlab_unshare_network()
        guard status == 0 else { return SocketError("unshare(CLONE_NEWNET)", code: -status) }
        setenv(marker, current ?? "", 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        return SocketError("execv /proc/self/exe")
    }
}
