import Foundation
import Inspect
import Sockets

/// Finds what the server serves by following links from `/`, as a browser would: a small file
/// for the basic checks, a directory, and something larger than the socket buffers for the
/// vanished-client check (a client that goes away only meets a closed socket when the server
/// is still sending).
enum ProbeDiscovery {
    /// Responses at least this large cannot fit in loopback's socket buffers with a small receive window.
    static let largeEnough = 1 << 20
    static let maxFetches = 30

    static func discover(_ target: HTTPURL, timeout: Double, large: String?) -> ProbeResources {
        var resources = ProbeResources()
        var queue = [target.target.hasSuffix("/") ? target.target : "/"]
        var seen = Set(queue)
        var fetches = 0
        var smallest: (path: String, size: Int)?
        var largest: (path: String, size: Int)?
        while !queue.isEmpty && fetches < maxFetches {
            let path = queue.removeFirst()
            fetches += 1
            guard let response = fetch(target, path, timeout: timeout), response.status == 200 else { continue }
            if path.hasSuffix("/") {
                if path != "/" && resources.directory == "/" { resources.directory = path }
                let isPage = response.head.values("Content-Type").first?.lowercased().contains("html") ?? true
                guard isPage else { continue }
                for link in links(in: response.body, base: path) where !seen.contains(link) {
                    seen.insert(link)
                    queue.append(link)
                }
            } else {
                let size = response.body.count
                if smallest == nil || size < smallest!.size { smallest = (path, size) }
                if largest == nil || size > largest!.size { largest = (path, size) }
            }
        }
        resources.file = smallest?.path
        if let large {
            resources.large = large
            resources.largeSize = fetch(target, large, timeout: timeout)?.body.count ?? 0
        } else if let largest, largest.size >= largeEnough {
            resources.large = largest.path
            resources.largeSize = largest.size
        } else {
            resources.note =
                "no resource of 1 MiB or more linked from / (largest: \(largest.map { "\($0.path), \($0.size) bytes" } ?? "none")); "
                + "give one with --large PATH"
        }
        return resources
    }

    static func fetch(_ target: HTTPURL, _ path: String, timeout: Double) -> ProbeResponse? {
        guard let connection = try? ProbeConnection(target, label: "discovery", timeout: timeout) else { return nil }
        defer { connection.close() }
        var text = "GET \(path) HTTP/1.1\r\nHost: \(target.authority)\r\n"
        text += "User-Agent: netlab-probe/0.1\r\nConnection: close\r\n\r\n"
        guard connection.send(Array(text.utf8)) else { return nil }
        return connection.readResponse(to: "GET", deadline: Clock.now + timeout).response
    }

    /// Same-site links of an HTML page (`href="…"`), as absolute paths; `..`, queries, fragments,
    /// other schemes and other hosts are left out.
    static func links(in body: [UInt8], base: String) -> [String] {
        let text = String(decoding: body.prefix(1 << 20), as: UTF8.self)
        var found: [String] = []
        var rest = Substring(text)
        while let range = rest.range(of: "href=", options: .caseInsensitive) {
            rest = rest[range.upperBound...]
            guard let quote = rest.first, quote == "\"" || quote == "'" else { continue }
            rest = rest.dropFirst()
            guard let end = rest.firstIndex(of: quote) else { break }
            let link = String(rest[..<end])
            rest = rest[end...]
            if link.isEmpty || link.contains(":") || link.hasPrefix("#") || link.hasPrefix("?") || link.hasPrefix("//")
                || link.contains("..") || !link.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
            {
                continue
            }
            var path = link.hasPrefix("/") ? link : base + link
            if let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<cut]) }
            if path.hasPrefix("/./") { path = String(path.dropFirst(2)) }
            found.append(path)
        }
        return found
    }
}
