/// The smallest honest HTTP/1.1 exchange, for the guided demo: one server that answers one
/// request, and one client that fetches a page. Both have limits and timeouts.
public enum DemoHTTP {
    public static let page = """
        <!doctype html><title>netlab</title><h1>Hello from netlab</h1>
        <p>This page crossed the loopback interface inside TCP segments.</p>

        """

    /// Reads one request head (up to 8 KiB, 2 s), answers 200 with `page`, and closes.
    public static func serveOne(_ listener: Socket) throws(SocketError) {
        let connection = try listener.accept()
        connection.setTimeout(seconds: 2)
        var request: [UInt8] = []
        while request.count < 8192 {
            let chunk = try connection.receive(limit: 8192 - request.count)
            if chunk.isEmpty { break }
            request += chunk
            if containsEnd(request) { break }
        }
        let body = Array(page.utf8)
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(body.count)\r\n"
            + "Connection: close\r\n\r\n"
        try connection.sendAll(Array(head.utf8) + body)
        connection.close()
    }

    /// True once the blank line that ends an HTTP head (CRLF CRLF) has arrived.
    static func containsEnd(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return true
        }
        return false
    }

    /// GETs `/` from host:port with Connection: close and returns the whole response.
    public static func fetch(host: String, port: UInt16) throws(SocketError) -> [UInt8] {
        let socket = try Socket.connect(host: host, port: port)
        socket.setTimeout(seconds: 2)
        let request =
            "GET / HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: netlab-demo\r\nConnection: close\r\n\r\n"
        try socket.sendAll(Array(request.utf8))
        var response: [UInt8] = []
        while response.count < 1 << 20 {
            let chunk = try socket.receive()
            if chunk.isEmpty { break }
            response += chunk
        }
        socket.close()
        return response
    }
}
