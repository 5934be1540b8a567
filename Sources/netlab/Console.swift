import Capture
import Inspect

#if canImport(Glibc)
    import Glibc
#endif

/// Buffered standard output and unbuffered standard error. Output goes out in large writes;
/// a closed pipe (`netlab sniff … | head`) ends the program quietly instead of killing it.
final class Console {
    var buffer = TextBuffer(capacity: 1 << 17)
    private(set) var closed = false
    /// Flush after each record (live captures, so lines appear as packets arrive).
    var flushEachRecord: Bool

    init(flushEachRecord: Bool) {
        self.flushEachRecord = flushEachRecord
    }

    /// Call after appending a record to `buffer`.
    func recordDone() {
        if flushEachRecord || buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        if !closed && !Console.write(&buffer) { closed = true }
        buffer.removeAll()
    }

    /// Writes `buffer` to standard output and empties it; false once the reader has gone
    /// (EPIPE), after which output is discarded.
    static func write(_ buffer: inout TextBuffer) -> Bool {
        let ok = buffer.withBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(1, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
        buffer.removeAll()
        return ok
    }

    func line(_ text: String) {
        buffer.append(string: text)
        buffer.append("\n")
        recordDone()
    }

    static func error(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { raw in _ = Glibc.write(2, raw.baseAddress!, raw.count) }
    }

    static var stdoutIsTerminal: Bool { isatty(1) == 1 }

    /// One line on standard output, written at once (for lines a script waits for, like a URL).
    static func output(_ text: String) {
        var buffer = TextBuffer()
        buffer.append(string: text + "\n")
        _ = write(&buffer)
    }
}

/// Local-time offsets for timestamps, cached per hour (time zones change on hour boundaries).
final class LocalTime {
    private var hour: Int64 = .min
    private var offset = 0

    func offset(at seconds: Int64) -> Int {
        let thisHour = seconds / 3600
        if thisHour != hour {
            var time = time_t(seconds)
            var parts = tm()
            localtime_r(&time, &parts)
            offset = parts.tm_gmtoff
            hour = thisHour
        }
        return offset
    }
}

/// Interface names by index, for LINUX_SLL2 captures.
func interfaceName(_ index: UInt32) -> String? {
    var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
    guard if_indextoname(index, &name) != nil else { return nil }
    return cString(name)
}

func interfaceExists(_ name: String) -> Bool { if_nametoindex(name) != 0 }

/// Writes a buffer to a new file (mode 0644); false when it cannot.
func writeFile(_ path: String, _ buffer: borrowing TextBuffer) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return buffer.withBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
