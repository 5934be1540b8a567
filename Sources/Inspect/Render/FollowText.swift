/// A TCP stream's reassembled bytes the way `tshark -z follow,tcp,ascii,N` prints them: node 0
/// (the client) unindented, node 1 (the server) after a tab, each segment's byte count, then
/// its bytes with unprintable ones as `.`.
public enum FollowText {
    public static func render(
        stream: Int, client: String, server: String, chunks: [(role: TCPRole, chunk: StreamReassembler.Chunk)],
        into out: inout TextBuffer
    ) {
        out.append("\n===================================================================\n")
        out.append("Follow: tcp,ascii\nFilter: tcp.stream eq ")
        out.append(stream)
        out.append("\nNode 0: ")
        out.append(string: client)
        out.append("\nNode 1: ")
        out.append(string: server)
        out.append("\n")
        for (role, chunk) in chunks {
            if role == .server { out.append("\t") }
            switch chunk {
            case .data(let bytes):
                out.append(bytes.count)
                out.append("\n")
                for byte in bytes {
                    let printable = byte == 0x0A || byte == 0x0D || byte == 0x09 || (byte >= 0x20 && byte < 0x7F)
                    out.append(byte: printable ? byte : UInt8(ascii: "."))
                }
                out.append("\n")
            case .gap(let count):
                out.append("[")
                out.append(count)
                out.append(" bytes missing in capture file].\n")
            }
        }
        out.append("===================================================================\n")
    }
}
