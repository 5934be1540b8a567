import Inspect

#if canImport(Glibc)
    import Glibc
#endif

/// Serves the files under one directory, the request handler all four server models share.
/// Never trusts the target: percent-escapes are decoded once, `..` segments, encoded slashes
/// and NUL bytes are refused before the file system is touched, and the real path of what is
/// finally opened (symbolic links resolved) must still lie under the root.
public struct StaticFiles: Sendable {
    /// The root's real path (no symbolic links, no trailing slash).
    public let root: String
    /// Also answer the dynamic demo endpoints (`DemoEndpoints`) before looking for a file.
    public var demoEndpoints = false

    public init(root: String) throws(SocketError) {
        guard let real = Self.realPath(root) else {
            throw SocketError("server root \(root)", detail: "\(root): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard stat(real, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw SocketError("server root \(root)", detail: "\(root) is not a directory")
        }
        self.root = real
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The answer to one request. `cache` (one per serving thread) skips resolving a target
    /// seen within the last second and reading an unchanged small file again.
    public func respond(to head: HTTPHead, cache: FileCache? = nil) -> HTTPServerResponse {
        let method = head.method ?? "GET"
        switch method {
        case "GET", "HEAD":
            break
        case "OPTIONS":
            return HTTPServerResponse(status: 204, fields: [("Allow", "GET, HEAD, OPTIONS")])
        case "POST", "PUT", "DELETE", "PATCH", "CONNECT", "TRACE":
            var response = HTTPServerResponse.page(405, "This server only serves files: \(method) is not allowed.")
            response.fields.append(("Allow", "GET, HEAD, OPTIONS"))
            return response
        default:
            return .page(501, "Unsupported method \(method).")
        }
        let target = head.target ?? "/"
        let now = cache == nil ? 0 : Clock.now
        if let cache, let route = cache.route(for: target, now: now) {
            if let fresh = cache.freshContent(route.realPath, now: now) {
                return serveFile(
                    route.realPath, info: nil, fresh: fresh, contentType: route.contentType, head: head, cache: cache,
                    now: now)
            }
            var info = stat()
            if stat(route.realPath, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                return serveFile(
                    route.realPath, info: info, contentType: route.contentType, head: head, cache: cache, now: now)
            }
            cache.forget(target: target)
        }
        let path: TargetPath
        switch TargetPath.parse(target) {
        case .success(let parsed): path = parsed
        case .failure(let refusal): return .page(refusal.status, refusal.message)
        }
        let candidate = path.segments.isEmpty ? root : root + "/" + path.segments.joined(separator: "/")
        guard let real = Self.realPath(candidate) else {
            return errno == EACCES ? .page(403, "Permission denied.") : .page(404, "Nothing here by that name.")
        }
        guard real == root || real.hasPrefix(root + "/") else {
            // A symbolic link pointing outside the served directory.
            return .page(403, "That path leads outside the served directory.")
        }
        var info = stat()
        guard stat(real, &info) == 0 else { return .page(404, "Nothing here by that name.") }
        if info.st_mode & S_IFMT == S_IFDIR {
            guard path.endsWithSlash else {
                // Relative links in the page need the slash (as python's http.server does).
                var response = HTTPServerResponse.page(301, "Moved to \(path.encoded)/.")
                response.fields.append(("Location", path.encoded + "/" + path.query))
                return response
            }
            let index = real + "/index.html"
            if let realIndex = Self.realPath(index), realIndex.hasPrefix(root + "/"), stat(realIndex, &info) == 0,
                info.st_mode & S_IFMT == S_IFREG
            {
                cache?.remember(target: target, realPath: realIndex, name: "index.html", now: now)
                return serveFile(
                    realIndex, info: info, contentType: MediaTypes.type(forFile: "index.html"), head: head,
                    cache: cache, now: now)
            }
            return listing(of: real, urlPath: path.decoded, head: head)
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return .page(403, "Not a regular file.") }
        let name = path.segments.last ?? ""
        cache?.remember(target: target, realPath: real, name: name, now: now)
        return serveFile(
            real, info: info, contentType: MediaTypes.type(forFile: name), head: head, cache: cache, now: now)
    }

    /// A regular file: whole (200), a range (206), unchanged (304). `fresh`: kept bytes that
    /// need no stat(2); otherwise `info` is the file's stat.
    private func serveFile(
        _ path: String, info: stat?, fresh: FileCache.Content? = nil, contentType: String, head: HTTPHead,
        cache: FileCache?, now: Double
    ) -> HTTPServerResponse {
        var kept = fresh ?? info.flatMap { cache?.content(path, matching: $0, now: now) }
        let modified = kept?.modifiedSeconds ?? Int(info?.st_mtim.tv_sec ?? 0)
        let size = kept?.size ?? Int(info?.st_size ?? 0)
        let lastModified = kept?.lastModified ?? HTTPDate.format(modified)
        let plain = !head.has("Range") && !head.has("If-Modified-Since")
        if plain, let kept {
            var response = HTTPServerResponse(status: 200, body: .bytes(kept.bytes))
            response.preformattedFields = kept.fieldBlock
            return response
        }
        var fields: [(name: String, value: String)] = [
            ("Content-Type", contentType), ("Last-Modified", lastModified), ("Accept-Ranges", "bytes"),
        ]
        // A date later than now is invalid and ignored (RFC 9110 §13.1.3).
        if head.has("If-Modified-Since"), !head.has("If-None-Match"),
            let since = head.values("If-Modified-Since").first.flatMap(HTTPDate.parse), modified <= since,
            since <= Int(time(nil))
        {
            return HTTPServerResponse(status: 304, fields: [("Last-Modified", lastModified)])
        }
        var file: OpenFile?
        if kept == nil, let info {
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else {
                return errno == EACCES ? .page(403, "Permission denied.") : .page(404, "Nothing here by that name.")
            }
            file = OpenFile(descriptor: fd)
            if let cache, size <= cache.maxFileBytes, let bytes = file?.read(offset: 0, length: size) {
                var block: [UInt8] = []
                HTTPServerResponse.appendFields(fields, contentLength: size, to: &block)
                cache.keep(path, bytes, info: info, lastModified: lastModified, fieldBlock: block, now: now)
                kept = cache.content(path, matching: info, now: now)
            }
        }
        var status = 200
        var offset = 0
        var length = size
        let ifRange = head.has("If-Range") ? head.values("If-Range").first : nil
        if head.method == "GET", head.has("Range"), let range = head.values("Range").first,
            ifRange == nil || ifRange == lastModified
        {
            switch ByteRange.parse(range, size: size) {
            case .whole:
                break
            case .unsatisfiable:
                var response = HTTPServerResponse.page(416, "The requested range is outside the file (\(size) bytes).")
                response.fields.append(("Content-Range", "bytes */\(size)"))
                return response
            case .part(let first, let last):
                status = 206
                offset = first
                length = last - first + 1
                fields.append(("Content-Range", "bytes \(first)-\(last)/\(size)"))
            }
        }
        if let kept = kept?.bytes {
            let body = offset == 0 && length == kept.count ? kept : Array(kept[offset..<(offset + length)])
            return HTTPServerResponse(status: status, fields: fields, body: .bytes(body))
        }
        guard let file else { return .page(500, "The file could not be read.") }
        return HTTPServerResponse(status: status, fields: fields, body: .file(file, offset: offset, length: length))
    }

    /// An HTML index of a directory without index.html, names escaped and links encoded.
    private func listing(of directory: String, urlPath: String, head: HTTPHead) -> HTTPServerResponse {
        guard let stream = opendir(directory) else { return .page(403, "This directory cannot be listed.") }
        defer { closedir(stream) }
        var entries: [(name: String, isDirectory: Bool)] = []
        while let entry = readdir(stream), entries.count < 10_000 {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var info = stat()
            let isDirectory = stat(directory + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
            entries.append((name, isDirectory))
        }
        entries.sort { $0.name < $1.name }
        let title = "Directory listing for \(HTMLText.escape(urlPath))"
        var html = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>\(title)</title></head>\n"
        html += "<body><h1>\(title)</h1><hr><ul>\n"
        for entry in entries {
            let shown = entry.name + (entry.isDirectory ? "/" : "")
            html += "<li><a href=\"\(TargetPath.percentEncode(shown))\">\(HTMLText.escape(shown))</a></li>\n"
        }
        html += "</ul><hr></body></html>\n"
        return HTTPServerResponse(
            status: 200, fields: [("Content-Type", "text/html; charset=utf-8")], body: .bytes(Array(html.utf8)))
    }
}

/// A request target reduced to safe path segments.
struct TargetPath: Equatable {
    var segments: [String]
    var endsWithSlash: Bool
    /// The path as received (still percent-encoded), for redirects.
    var encoded: String
    var decoded: String
    /// `?…` as received, or empty.
    var query: String

    struct Refusal: Error, Equatable {
        var status: Int
        var message: String
    }

    /// origin-form (`/a/b?q`) or absolute-form (`http://host/a/b`); anything else is refused.
    static func parse(_ target: String) -> Result<TargetPath, Refusal> {
        var rest = Substring(target)
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[mark...])
            rest = rest[..<mark]
        }
        for scheme in ["http://", "https://"] where rest.lowercased().hasPrefix(scheme) {
            let afterScheme = rest.dropFirst(scheme.count)
            rest = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        guard rest.hasPrefix("/") else {
            return .failure(Refusal(status: 400, message: "The target must start with /."))
        }
        let raw = Array(rest.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < raw.count, let high = hexValue(raw[index + 1]), let low = hexValue(raw[index + 2])
                else { return .failure(Refusal(status: 400, message: "Bad percent-escape in the path.")) }
                let decoded = high << 4 | low
                if decoded == UInt8(ascii: "/") || decoded == UInt8(ascii: "\\") {
                    return .failure(Refusal(status: 404, message: "Encoded slashes are not allowed in paths."))
                }
                bytes.append(decoded)
                index += 3
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        if bytes.contains(0) { return .failure(Refusal(status: 400, message: "NUL byte in the path.")) }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            return .failure(Refusal(status: 400, message: "The path is not valid UTF-8."))
        }
        var segments: [String] = []
        for segment in decoded.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                return .failure(Refusal(status: 403, message: "Paths with .. are not served."))
            }
            segments.append(String(segment))
        }
        return .success(
            TargetPath(
                segments: segments, endsWithSlash: decoded.hasSuffix("/"), encoded: String(rest), decoded: decoded,
                query: query))
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Percent-encodes everything but unreserved characters and `/` (RFC 3986 §2.3).
    static func percentEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "/"):
                result.append(Character(Unicode.Scalar(byte)))
            default:
                let digits = Array("0123456789ABCDEF".utf8)
                result += "%" + String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return result
    }
}

/// A single `Range: bytes=…` request (RFC 9110 §14.1.2). Several ranges are answered with the
/// whole file, which the RFC allows.
enum ByteRange: Equatable {
    case whole
    case part(first: Int, last: Int)
    case unsatisfiable

    static func parse(_ value: String, size: Int) -> ByteRange {
        let trimmed = value.trimmingCharacters(" ")
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let firstText = spec[..<dash].trimmingCharacters(" "),
            lastText = spec[spec.index(after: dash)...].trimmingCharacters(" ")
        func number(_ text: String) -> Int? {
            guard !text.isEmpty, text.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return nil
            }
            return Int(text)
        }
        if firstText.isEmpty {
            // bytes=-N: the last N bytes.
            guard let suffix = number(lastText) else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .part(first: max(0, size - suffix), last: size - 1)
        }
        guard let first = number(firstText) else { return .whole }
        let last: Int
        if lastText.isEmpty {
            last = size - 1
        } else {
            guard let value = number(lastText), value >= first else { return .whole }
            last = min(value, size - 1)
        }
        guard first < size else { return .unsatisfiable }
        return .part(first: first, last: last)
    }
}

extension StringProtocol {
    func trimmingCharacters(_ character: Character) -> String {
        String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}
