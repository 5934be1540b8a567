import ProcessControl
import ArgumentParser
import Capture
import Sockets

struct ServerFiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Receive files sent with `netlab send-file` into a directory.",
        discussion: """
            Each file arrives under a temporary name beside its destination and is renamed only
            when every byte is there and the SHA-256 matches the header: a cut connection, a
            wrong hash or a full disk leave nothing behind. Names with path components, a
            leading dot or control characters are refused, as are files over --max-size, files
            that would not fit on the disk, and existing names (unless --overwrite).

            Examples:
              netlab server files --dir received --port 9100
              netlab server files --dir /tmp/in --port 0 --max-size 100000000
            """
    )

    @Option(help: "Directory to store received files in.")
    var dir: String

    @Option(help: "Port; 0 picks a free ephemeral port.")
    var port: UInt16 = 9100

    @Option(help: "Address to listen on (127.0.0.1, ::1, 0.0.0.0, ::).")
    var bind = "127.0.0.1"

    @Option(help: "Largest file accepted, in bytes.")
    var maxSize = 8 << 30

    @Flag(help: "Replace files that already exist.")
    var overwrite = false

    @Option(help: "Seconds a sender may stay silent.")
    var timeout = 30.0

    func validate() throws {
        if maxSize < 0 { throw ValidationError("--max-size cannot be negative") }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let receiver: FileReceiver
        do {
            receiver = try FileReceiver(directory: dir, host: bind, port: port)
        } catch {
            throw failure(error)
        }
        receiver.maxFileBytes = maxSize
        receiver.overwrite = overwrite
        receiver.timeout = timeout
        receiver.log = { Console.error($0) }
        let address = receiver.listener.localAddress.map(\.description) ?? "\(bind):\(port)"
        Console.error("Receiving files into \(dir) on \(address). Ctrl-C stops.")
        Console.output(address)
        Signals.installStopHandlers()
        do {
            let summary = try receiver.run { Signals.stopRequested }
            Console.error("stopped: \(summary.received) received, \(summary.refused) refused")
        } catch {
            throw failure(error)
        }
    }
}
