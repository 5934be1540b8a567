import ArgumentParser
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

struct SendFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-file",
        abstract: "Send a file to `netlab server files` with a framed JSON header and a SHA-256 check.",
        discussion: """
            On the wire: a 4-byte big-endian header length, a JSON header
            {"name":…,"size":…,"sha256":…}, then exactly size bytes; the receiver answers with a
            framed JSON reply. Memory stays constant for any file size (the file is read twice:
            once to hash it, once to send it with sendfile). A progress bar shows on a terminal.

            Examples:
              netlab server files --dir received --port 9100      # first, in another terminal
              netlab send-file photo.jpg 127.0.0.1 9100
              netlab send-file big.iso ::1 9100 --name copy.iso
            """
    )

    @Argument(help: "The file to send.")
    var file: String

    @Argument(help: "Receiver host or address.")
    var host: String

    @Argument(help: "Receiver port.")
    var port: UInt16

    @Option(help: "Name to store the file under (default: the file's own name).")
    var name: String?

    @Option(help: "Seconds to wait for the connection and for the receiver.")
    var timeout = 30.0

    func run() throws {
        let storedName = name ?? String(file.split(separator: "/").last ?? Substring(file))
        if let problem = FileTransfer.validateName(storedName) {
            Console.error("netlab: \(storedName): \(problem) (use --name)")
            throw ExitCode(ExitCodes.usage)
        }
        guard access(file, R_OK) == 0 else {
            Console.error("netlab: cannot read \(file): \(String(cString: strerror(errno)))")
            throw ExitCode(ExitCodes.noInput)
        }
        let socket: Socket
        do {
            socket = try Socket.connect(host: host, port: port, timeout: timeout)
        } catch {
            throw failure(error)
        }
        var sender = FileSender()
        sender.timeout = timeout
        let bar = ProgressBar(enabled: isatty(2) == 1)
        sender.progress = { done, total, phase in bar.show(done: done, total: total, label: phase) }
        do {
            let result = try sender.send(path: file, as: storedName, to: socket)
            bar.finish()
            let rate = Double(result.size) / max(result.seconds, 1e-6) / 1e6
            Console.error(
                "sent \(result.name): \(result.size) bytes in \(String(format2: result.seconds)) s "
                    + "(\(String(format2: rate)) MB/s); the receiver verified sha256 \(result.sha256)")
        } catch {
            bar.finish()
            Console.error("netlab: \(error)")
            throw ExitCode(ExitCodes.ioError)
        }
    }
}

/// A one-line progress bar on stderr, redrawn at most ten times a second.
final class ProgressBar {
    let enabled: Bool
    private var lastDraw = 0.0
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(done: Int, total: Int, label: String) {
        guard enabled else { return }
        let now = Clock.now
        guard now - lastDraw >= 0.1 || done == total else { return }
        lastDraw = now
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let bytes = Array(
            "\r\(label.padding(7)) [\(bar)] \(Int(fraction * 100))%  \(done / 1_048_576) of \(total / 1_048_576) MiB "
                .utf8)
        bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
        drawn = true
    }

    func finish() {
        guard drawn else { return }
        Console.error("")
        drawn = false
    }
}

extension String {
    /// Two decimals, without Foundation.
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        self = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
