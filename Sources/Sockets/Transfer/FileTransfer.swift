import ProcessControl
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Sending a file over TCP with framing, as the classic tutorial does: a 4-byte big-endian
/// header length, a JSON header `{"name":…,"size":…,"sha256":…}`, then exactly `size` bytes.
/// The receiver answers with a framed JSON reply: `{"ok":true,…}` or `{"ok":false,"error":…}`
/// (possibly before the body, to refuse it). Memory stays constant whatever the file size.
public enum FileTransfer {
    public static let maxHeaderBytes = 64 * 1024
    static let chunk = 256 * 1024

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// A file name the receiver accepts: one path component, no `..`, no control characters.
    public static func validateName(_ name: String) -> String? {
        if name.isEmpty { return "empty file name" }
        if name.utf8.count > 255 { return "file name longer than 255 bytes" }
        if name.contains("/") || name.contains("\\") { return "file names may not contain path components (/)" }
        if name == "." || name == ".." || name.hasPrefix(".") { return "file names may not start with a dot" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "file names may not contain control characters"
        }
        return nil
    }

    /// What the receiver requires of a header before it accepts a byte of the file (public so
    /// the fuzzer can reach it without a socket).
    public static func checkHeader(_ header: FlatJSON, maxFileBytes: Int) throws(Failure)
        -> (name: String, size: Int, sha256: String)
    {
        guard let name = header.string("name"), let size = header.integer("size"),
            let expected = header.string("sha256")
        else { throw .init("the header needs name, size and sha256") }
        if let problem = validateName(name) { throw .init("\(name): \(problem)") }
        guard size >= 0, size <= maxFileBytes else {
            throw .init("\(name) is \(size) bytes; the limit is \(maxFileBytes)")
        }
        guard expected.utf8.count == 64,
            expected.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { throw .init("sha256 must be 64 lower-case hex digits") }
        return (name, size, expected)
    }

    /// A JSON object with the same 4-byte length prefix as `Framing.length`.
    static func frame(_ object: FlatJSON) -> [UInt8] { Framing.length.encode(Array(object.encoded.utf8)) }

    /// Waits until `socket` is readable, at most `timeout` seconds, looking at `shouldStop`
    /// every 250 ms (a receiving server must stop within a second, whatever its senders do).
    static func waitReadable(_ socket: Socket, timeout: Double, shouldStop: () -> Bool) throws(Failure) {
        let deadline = Clock.now + timeout
        while true {
            if shouldStop() { throw Failure("the receiver is stopping") }
            let left = deadline - Clock.now
            guard left > 0 else { throw Failure("timed out after \(Int(timeout)) s waiting for data") }
            do {
                if try socket.wait(for: .readable, timeout: min(left, 0.25)) { return }
            } catch {
                throw Failure(error.description)
            }
        }
    }

    /// Reads exactly `count` bytes, waiting at most `timeout` seconds for each piece.
    static func readExactly(_ socket: Socket, _ count: Int, timeout: Double, shouldStop: () -> Bool = { false })
        throws(Failure) -> [UInt8]
    {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            try waitReadable(socket, timeout: timeout, shouldStop: shouldStop)
            let piece: [UInt8]
            do {
                piece = try socket.receive(limit: min(count - result.count, 65536))
            } catch {
                throw Failure("connection failed: \(error.name)")
            }
            guard !piece.isEmpty else {
                throw Failure("the connection closed after \(result.count) of \(count) bytes")
            }
            result += piece
        }
        return result
    }

    static func readFrame(_ socket: Socket, timeout: Double, shouldStop: () -> Bool = { false }) throws(Failure)
        -> FlatJSON
    {
        let prefix = try readExactly(socket, 4, timeout: timeout, shouldStop: shouldStop)
        let length = prefix.reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, length <= maxHeaderBytes else { throw Failure("header length \(length) is out of range") }
        let body = try readExactly(socket, length, timeout: timeout, shouldStop: shouldStop)
        do {
            return try FlatJSON.decode(body)
        } catch {
            throw Failure(error.description)
        }
    }

    /// SHA-256 of a file, reading it in pieces; `progress` gets the bytes done so far.
    public static func hash(fileDescriptor fd: Int32, size: Int, progress: (Int) -> Void = { _ in }) throws(Failure)
        -> String
    {
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: chunk)
        var done = 0
        while done < size {
            let count = buffer.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress, min($0.count, size - done), off_t(done))
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Failure("the file shrank while it was read") }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            done += count
            progress(done)
        }
        return SHA256.hex(hasher.finish())
    }
}

/// The sending side (`netlab send-file`).
public struct FileSender {
    public var timeout = 30.0
    /// Called with (bytes done, total, phase) as the transfer goes: "hashing", then "sending".
    public var progress: (Int, Int, String) -> Void = { _, _, _ in }

    public init() {}

    public struct Result: Sendable {
        public var name: String
        public var size: Int
        public var sha256: String
        public var seconds: Double
    }

    public func send(path: String, as name: String, to socket: Socket) throws(FileTransfer.Failure) -> Result {
        if let problem = FileTransfer.validateName(name) { throw .init("\(name): \(problem)") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .init("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw .init("\(path) is not a regular file")
        }
        let size = Int(info.st_size)
        let started = Clock.now
        let digest = try FileTransfer.hash(fileDescriptor: fd, size: size) { progress($0, size, "hashing") }
        let header = FlatJSON([("name", .string(name)), ("size", .integer(size)), ("sha256", .string(digest))])
        do {
            try socket.sendAll(FileTransfer.frame(header))
        } catch {
            throw .init("sending the header: \(error)")
        }
        socket.setTimeout(seconds: timeout)
        var position = off_t(0)
        while Int(position) < size {
            // The receiver may refuse before the body is done (too big, no space): stop at once.
            if (try? socket.wait(for: .readable, timeout: 0)) == true {
                let reply = try FileTransfer.readFrame(socket, timeout: timeout)
                throw .init("the receiver refused: \(reply.string("error") ?? "no reason given")")
            }
            let sent = sendfile(socket.descriptor, fd, &position, min(FileTransfer.chunk, size - Int(position)))
            if sent < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { throw .init("the receiver stopped reading for \(Int(timeout)) s") }
                // A reset usually means the receiver refused and closed: show its reason if it sent one.
                if let reply = try? FileTransfer.readFrame(socket, timeout: 1), let reason = reply.string("error") {
                    throw .init("the receiver refused: \(reason)")
                }
                throw .init("sending failed after \(position) bytes: \(SocketError("sendfile").name)")
            }
            if sent == 0 { throw .init("the file shrank while it was sent") }
            progress(Int(position), size, "sending")
        }
        let reply = try FileTransfer.readFrame(socket, timeout: timeout)
        guard reply.bool("ok") == true else {
            throw .init("the receiver refused: \(reply.string("error") ?? "no reason given")")
        }
        guard reply.string("sha256") == digest else {
            throw .init("the receiver stored different bytes (sha256 differs)")
        }
        return Result(name: name, size: size, sha256: digest, seconds: Clock.now - started)
    }
}

/// The receiving side (`netlab server files`): a thread per sender, each file written to a
/// temporary name beside its destination and renamed only once every byte arrived and the
/// SHA-256 matched. A cut connection, a wrong hash or a full disk leave no file behind.
public final class FileReceiver {
    public let listener: Socket
    public let directory: String
    public var maxFileBytes = 8 << 30
    public var overwrite = false
    public var timeout = 30.0
    public var maxConnections = 16
    public var log: (@Sendable (String) -> Void)?

    public init(directory: String, host: String, port: UInt16) throws(SocketError) {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw SocketError("directory \(directory)", detail: "\(directory): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw SocketError("directory \(directory)", code: ENOTDIR, detail: "\(directory) is not a directory")
        }
        self.directory = directory
        listener = try Socket.listen(host: host, port: port)
    }

    public struct Summary: Sendable {
        public var received = 0
        public var refused = 0
    }

    /// Receives until `shouldStop` returns true, then returns within a second: transfers in
    /// progress see the stop within 250 ms and remove their partial files.
    public func run(until shouldStop: @escaping @Sendable () -> Bool) throws(SocketError) -> Summary {
        // A sender that goes away must never end the receiver.
        Signals.ignoreBrokenPipe()  // Labs runs servers in-process: the CLI's ignore is not enough
        let received = Atomic<Int>(0), refused = Atomic<Int>(0), active = Atomic<Int>(0)
        listener.setNonBlocking(true)
        while !shouldStop() {
            guard try listener.wait(for: .readable, timeout: 0.25) else { continue }
            // Non-blocking: a sender that resets while queued must not leave accept(2) waiting.
            let accepted: (Socket, SocketAddress)?
            do {
                accepted = try listener.tryAccept()
            } catch {
                // Out of descriptors (EMFILE) and the like: log, breathe, keep accepting.
                log?("accept: \(error)")
                usleep(10_000)
                continue
            }
            guard let (socket, peer) = accepted else { continue }
            socket.setNonBlocking(false)
            guard active.load(ordering: .relaxed) < maxConnections else {
                Self.reply(
                    socket, FlatJSON([("ok", .bool(false)), ("error", .string("busy: try again later"))]), linger: 0.25)
                continue
            }
            active.add(1, ordering: .relaxed)
            let receiver = Transfer(
                directory: directory, maxFileBytes: maxFileBytes, overwrite: overwrite, timeout: timeout, log: log)
            let started = Threads.detach {
                let ok = receiver.receive(socket, peer: peer, shouldStop: shouldStop)
                if ok { received.add(1, ordering: .relaxed) } else { refused.add(1, ordering: .relaxed) }
                active.subtract(1, ordering: .relaxed)
            }
            if !started {
                active.subtract(1, ordering: .relaxed)
                Self.reply(
                    socket, FlatJSON([("ok", .bool(false)), ("error", .string("busy: try again later"))]), linger: 0.25)
            }
        }
        let deadline = Clock.now + 0.6
        while active.load(ordering: .relaxed) > 0 && Clock.now < deadline { usleep(10_000) }
        return Summary(received: received.load(ordering: .relaxed), refused: refused.load(ordering: .relaxed))
    }

    /// Sends a reply, then half-closes and drains briefly so the sender sees it before a reset.
    /// The accepting thread's own refusals (busy) linger less: they hold up accepting and stopping.
    static func reply(_ socket: Socket, _ object: FlatJSON, linger seconds: Double = 1) {
        try? socket.sendAll(FileTransfer.frame(object))
        socket.lingeringClose(seconds: seconds, limit: 1 << 30)
    }

    struct Transfer: Sendable {
        let directory: String
        let maxFileBytes: Int
        let overwrite: Bool
        let timeout: Double
        let log: (@Sendable (String) -> Void)?

        func receive(_ socket: Socket, peer: SocketAddress, shouldStop: () -> Bool) -> Bool {
            do {
                let result = try store(socket, shouldStop: shouldStop)
                FileReceiver.reply(
                    socket,
                    FlatJSON([
                        ("ok", .bool(true)), ("name", .string(result.name)), ("size", .integer(result.size)),
                        ("sha256", .string(result.sha256)),
                    ]))
                log?(
                    "\(peer): received \(result.name), \(result.size) bytes, sha256 \(result.sha256.prefix(16))… verified"
                )
                return true
            } catch {
                log?("\(peer): refused: \(error.reason)")
                if shouldStop() {
                    socket.close()  // no lingering: the stop must not wait on this sender
                } else {
                    FileReceiver.reply(socket, FlatJSON([("ok", .bool(false)), ("error", .string(error.reason))]))
                }
                return false
            }
        }

        func store(_ socket: Socket, shouldStop: () -> Bool) throws(FileTransfer.Failure) -> (
            name: String, size: Int, sha256: String
        ) {
            let (name, size, expected) = try FileTransfer.checkHeader(
                FileTransfer.readFrame(socket, timeout: timeout, shouldStop: shouldStop), maxFileBytes: maxFileBytes)
            var space = statvfs()
            if statvfs(directory, &space) == 0 {
                let free = Int(space.f_bavail) * Int(space.f_frsize)
                guard free >= size + (1 << 20) else {
                    throw .init("not enough space: \(size) bytes wanted, \(free) free")
                }
            }
            let destination = directory + "/" + name
            if !overwrite && access(destination, F_OK) == 0 { throw .init("\(name) already exists") }
            var template = Array("\(directory)/.\(name).netlab-partial-XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else {
                throw .init("cannot create a file in the directory: \(String(cString: strerror(errno)))")
            }
            let temporary = String(cString: template)
            // mkstemp makes the file private (0600); a received file gets the usual 0644 less the umask.
            let mask = umask(0)
            umask(mask)
            fchmod(fd, 0o644 & ~mask)
            var kept = false
            defer {
                close(fd)
                if !kept { unlink(temporary) }
            }
            var hasher = SHA256()
            var buffer = [UInt8](repeating: 0, count: FileTransfer.chunk)
            var done = 0
            while done < size {
                do {
                    try FileTransfer.waitReadable(socket, timeout: timeout, shouldStop: shouldStop)
                } catch {
                    throw .init("\(error.reason) after \(done) of \(size) bytes")
                }
                let count: Int
                do {
                    count = try socket.receive(into: &buffer, limit: size - done)
                } catch {
                    throw .init("connection failed after \(done) of \(size) bytes: \(error.name)")
                }
                guard count > 0 else { throw .init("the connection closed after \(done) of \(size) bytes") }
                var written = 0
                while written < count {
                    let result = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + written, count - written) }
                    if result < 0 && errno == EINTR { continue }
                    guard result > 0 else { throw .init("writing failed: \(String(cString: strerror(errno)))") }
                    written += result
                }
                buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                done += count
            }
            let digest = SHA256.hex(hasher.finish())
            guard digest == expected else {
                throw .init("sha256 mismatch: the header said \(expected), the bytes give \(digest)")
            }
            guard fsync(fd) == 0 else { throw .init("fsync failed: \(String(cString: strerror(errno)))") }
            if overwrite {
                guard rename(temporary, destination) == 0 else {
                    throw .init("rename failed: \(String(cString: strerror(errno)))")
                }
            } else {
                // link() fails if the name appeared meanwhile: never replace a file silently.
                guard link(temporary, destination) == 0 else {
                    throw .init(
                        errno == EEXIST ? "\(name) already exists" : "link failed: \(String(cString: strerror(errno)))")
                }
                unlink(temporary)
            }
            kept = true
            return (name, size, digest)
        }
    }
}
