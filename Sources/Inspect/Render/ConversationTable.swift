/// The TCP conversation table of `tshark -q -z conv,tcp`, column for column: A is the source of
/// the conversation's first frame, "<-" counts frames and bytes from B to A, "->" from A to B,
/// bytes are frame (wire) lengths, times are relative to the capture's first frame.
public enum ConversationTable {
    public static func render(_ connections: [TCPTracker.Connection], into out: inout TextBuffer) {
        out.append("================================================================================\n")
        out.append("TCP Conversations\nFilter:<No Filter>\n")
        out.append(
            "                                                           |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |\n"
        )
        out.append(
            "                                                           | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |\n"
        )
        // tshark lists conversations by total frames, most first (ties in order of appearance).
        let ordered = connections.enumerated().sorted {
            let a = $0.element.framesToClient + $0.element.framesToServer
            let b = $1.element.framesToClient + $1.element.framesToServer
            return a != b ? a > b : $0.offset < $1.offset
        }.map(\.element)
        for connection in ordered {
            // tshark writes IPv6 endpoints without brackets here (but with them in follow output).
            let aIsClient = connection.firstSender == .client
            let a = (aIsClient ? connection.client : connection.server).filter { $0 != "[" && $0 != "]" }
            let b = (aIsClient ? connection.server : connection.client).filter { $0 != "[" && $0 != "]" }
            let toA =
                aIsClient
                ? (connection.framesToClient, connection.bytesToClient)
                : (connection.framesToServer, connection.bytesToServer)
            let toB =
                aIsClient
                ? (connection.framesToServer, connection.bytesToServer)
                : (connection.framesToClient, connection.bytesToClient)
            var line = pad(a, 26) + " <-> " + pad(b, 26)
            line += "  " + number(toA.0, 6) + " " + pad(size(toA.1), 9)
            line += "  " + number(toB.0, 6) + " " + pad(size(toB.1), 9)
            line += "  " + number(toA.0 + toB.0, 6) + " " + pad(size(toA.1 + toB.1), 9)
            line += "  " + fixed(connection.firstTime, width: 14, decimals: 9)
            line += " " + fixed(connection.lastTime - connection.firstTime, width: 14, decimals: 4)
            out.append(string: line)
            out.append("\n")
        }
        out.append("================================================================================\n")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func number(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// Wireshark's format_size with SI prefixes: "900 bytes", "201 kB", "12 MB".
    static func size(_ bytes: Int) -> String {
        if bytes / 1_000_000_000 >= 10 { return "\(bytes / 1_000_000_000) GB" }
        if bytes / 1_000_000 >= 10 { return "\(bytes / 1_000_000) MB" }
        if bytes / 1000 >= 10 { return "\(bytes / 1000) kB" }
        return "\(bytes) bytes"
    }

    /// printf("%*.*f"): rounds the exact binary value (so 6.37965, stored as 6.3796499…, prints
    /// 6.3796). Extended precision decides the rounding where the platform has it.
    static func fixed(_ value: Double, width: Int, decimals: Int) -> String {
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        #if arch(x86_64) || arch(i386)
            let scaled = UInt64((Float80(abs(value)) * Float80(scale)).rounded(.toNearestOrEven))
        #else
            let scaled = UInt64((abs(value) * Double(scale)).rounded(.toNearestOrEven))
        #endif
        let whole = scaled / scale, fraction = scaled % scale
        var text = (value < 0 && scaled != 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
