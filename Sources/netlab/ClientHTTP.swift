import ArgumentParser
import Inspect
import Sockets

struct ClientHTTP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Fetch a URL with HTTP/1.1 over a plain socket, showing the bytes.",
        discussion: """
            Prints the response head (status line and header fields) and the body, decoded from
            chunked or Content-Length framing. --show-request first prints the request exactly as
            sent, each line ending in \\r\\n as on the wire; --raw prints the response exactly as
            received, framing included.

            Examples:
              netlab client http http://127.0.0.1:8000/ --show-request
              netlab client http http://[::1]:8080/index.html --head
              netlab client http http://127.0.0.1:8000/form --data 'name=ada'
              netlab client http http://example.com/ --raw
            """
    )

    @Argument(help: "An http:// URL (IPv6 addresses in brackets: http://[::1]:8080/).")
    var url: String

    @Flag(help: "Print the request bytes before the response.")
    var showRequest = false

    @Flag(help: "Print the response exactly as received (chunk sizes and all).")
    var raw = false

    @Flag(name: [.customShort("I"), .long], help: "Send HEAD instead of GET.")
    var head = false

    @Option(name: [.customShort("X"), .long], help: "Request method (default GET, or POST with --data).")
    var method: String?

    @Option(name: [.customShort("d"), .long], help: "Send this request body (POST unless -X says otherwise).")
    var data: String?

    @Option(name: [.customShort("H"), .customLong("header")], help: "Extra header field, 'Name: value' (repeatable).")
    var headers: [String] = []

    @Option(help: "Seconds to wait for the connection and for each read.")
    var timeout = 10.0

    func validate() throws {
        if head && data != nil { throw ValidationError("--head sends no body: drop --data") }
        for header in headers where !header.contains(":") {
            throw ValidationError("header '\(header)' needs the form 'Name: value'")
        }
        if let method, method.isEmpty || !method.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            throw ValidationError("'\(method)' is not a method token")
        }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
    }

    func run() throws {
        let target: HTTPURL
        do {
            target = try HTTPURL.parse(url)
        } catch {
            Console.error("netlab: \(error)")
            throw ExitCode(ExitCodes.usage)
        }
        var client = HTTPClient()
        client.method = method ?? (head ? "HEAD" : data != nil ? "POST" : "GET")
        client.timeout = timeout
        client.body = data.map { Array($0.utf8) }
        client.headers = headers.map { line in
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), String(parts[1]).trimmingCharacters(in: " "))
        }
        var out = TextBuffer()
        if showRequest {
            let request = String(decoding: client.request(for: target), as: UTF8.self)
            for line in request.components(separatedBy: "\r\n").dropLast() { out.append(string: "> \(line)\\r\\n\n") }
            if let data { out.append(string: "> \(data)\n") }
            out.append(string: "\n")
            _ = Console.write(&out)
        }
        let response: HTTPClient.Response
        do {
            response = try client.fetch(target)
        } catch {
            switch error {
            case .socket(let socketError): throw failure(socketError)
            case .url, .protocolError:
                Console.error("netlab: \(error)")
                throw ExitCode(ExitCodes.protocolError)
            }
        }
        if raw {
            response.raw.withUnsafeBytes { out.append(bytes: $0) }
        } else {
            let head = response.head
            out.append(string: "\(head.version) \(head.status ?? 0) \(head.reason ?? "")\n")
            for field in head.fields { out.append(string: "\(field.name): \(field.value)\n") }
            out.append(string: "\n")
            response.body.withUnsafeBytes { out.append(bytes: $0) }
        }
        _ = Console.write(&out)
        // 1xx, 204 and 304 never have a body, whatever the fields say (RFC 9112 §6.3).
        let status = response.head.status ?? 0
        let framing =
            status / 100 == 1 || status == 204 || status == 304
            ? "a \(status) has none"
            : response.head.tokens("Transfer-Encoding").last == "chunked"
                ? "chunked, decoded" : response.head.has("Content-Length") ? "Content-Length" : "until close"
        Console.error(
            "netlab: \(response.peer.map(\.description) ?? target.authority) answered \(response.head.status ?? 0); "
                + "body \(response.body.count) bytes (\(framing)), \(response.raw.count) bytes on the wire")
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
