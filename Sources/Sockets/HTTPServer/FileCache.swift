#if canImport(Glibc)
    import Glibc
#endif

/// What one serving thread remembers between requests (like nginx's open_file_cache): which
/// request targets resolved to which real files (for one second: the checks against `..`,
/// symbolic links and the root are redone after that), and the bytes of small files, reused
/// only while stat(2) reports the same inode, size and modification time. Not shared between
/// threads: each event loop, connection thread or forked child has its own.
public final class FileCache {
    /// Classes, not structs: a hit costs one retain instead of one per field.
    final class Route {
        let realPath: String
        let name: String
        let contentType: String
        let resolvedAt: Double

        init(realPath: String, name: String, contentType: String, resolvedAt: Double) {
            self.realPath = realPath
            self.name = name
            self.contentType = contentType
            self.resolvedAt = resolvedAt
        }
    }

    final class Content {
        let device: UInt64
        let inode: UInt64
        let size: Int
        let modifiedSeconds: Int
        let modifiedNanoseconds: Int
        let bytes: [UInt8]
        let lastModified: String
        /// The header fields of a whole-file 200 response, formatted once.
        let fieldBlock: [UInt8]
        /// Last time stat(2) confirmed the file is unchanged.
        var checkedAt: Double

        init(info: stat, bytes: [UInt8], lastModified: String, fieldBlock: [UInt8], checkedAt: Double) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = bytes.count
            modifiedSeconds = Int(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
            self.bytes = bytes
            self.lastModified = lastModified
            self.fieldBlock = fieldBlock
            self.checkedAt = checkedAt
        }
    }

    /// How long kept bytes are served without asking stat(2) whether the file changed.
    public var contentLifetime = 1.0

    /// Kept bytes confirmed (by stat) within `contentLifetime`: no system call at all.
    func freshContent(_ path: String, now: Double) -> Content? {
        guard let content = contents[path], now - content.checkedAt < contentLifetime else { return nil }
        return content
    }

    /// How long a resolved target is trusted before it is resolved again.
    public var routeLifetime = 1.0
    /// Files up to this size are kept in memory.
    public var maxFileBytes = 64 * 1024
    /// Memory for kept files, in all.
    public var maxTotalBytes = 16 << 20
    private var routes: [String: Route] = [:]
    private var contents: [String: Content] = [:]
    private var totalBytes = 0

    public init() {}

    func route(for target: String, now: Double) -> Route? {
        guard let route = routes[target] else { return nil }
        guard now - route.resolvedAt < routeLifetime else {
            routes[target] = nil
            return nil
        }
        return route
    }

    func remember(target: String, realPath: String, name: String, now: Double) {
        if routes.count >= 4096 { routes.removeAll(keepingCapacity: true) }
        routes[target] = Route(
            realPath: realPath, name: name, contentType: MediaTypes.type(forFile: name), resolvedAt: now)
    }

    func forget(target: String) { routes[target] = nil }

    /// The kept bytes of `path` if the file is unchanged since they were read.
    func content(_ path: String, matching info: stat, now: Double) -> Content? {
        guard let content = contents[path] else { return nil }
        guard content.device == UInt64(info.st_dev), content.inode == UInt64(info.st_ino),
            content.size == Int(info.st_size), content.modifiedSeconds == Int(info.st_mtim.tv_sec),
            content.modifiedNanoseconds == Int(info.st_mtim.tv_nsec)
        else {
            totalBytes -= content.size
            contents[path] = nil
            return nil
        }
        content.checkedAt = now
        return content
    }

    func keep(_ path: String, _ bytes: [UInt8], info: stat, lastModified: String, fieldBlock: [UInt8], now: Double) {
        guard bytes.count <= maxFileBytes else { return }
        if totalBytes + bytes.count > maxTotalBytes {
            contents.removeAll(keepingCapacity: true)
            totalBytes = 0
        }
        if let old = contents[path] { totalBytes -= old.size }
        contents[path] = Content(
            info: info, bytes: bytes, lastModified: lastModified, fieldBlock: fieldBlock, checkedAt: now)
        totalBytes += bytes.count
    }
}
