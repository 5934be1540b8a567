import Foundation
import XCTest

/// Headless Chromium for the pages netlab writes: a screenshot's dark pixels (is anything
/// drawn?) and the DOM after layout, optionally with a measuring script appended to a copy
/// of the page (the pages themselves stay script-free).
enum Chromium {
    static func path() throws -> String {
        guard
            let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw XCTSkip("SKIPPED: Chromium is not installed (scripts/setup.sh installs it for the tests)") }
        return found
    }

    static func flags(width: Int, height: Int) -> [String] {
        ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=\(width),\(height)"]
    }

    static func run(_ arguments: [String]) throws -> String {
        let (_, out, _) = try Harness.runProcess(URL(fileURLWithPath: try path()), arguments, timeout: 60)
        return String(decoding: out, as: UTF8.self)
    }

    /// The DOM after load, of a copy of `page` with `script` run at the end of its body.
    static func measure(_ page: String, script: String, width: Int, in directory: URL) throws -> String {
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let copy = directory.appendingPathComponent("measure-\(UUID()).html")
        let measured = html.replacingOccurrences(of: "</body>", with: "<script>\(script)</script></body>")
        try measured.write(to: copy, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: copy) }
        return try run(flags(width: width, height: 800) + ["--dump-dom", "file://\(copy.path)"])
    }

    /// How wide the page lays out in a window `width` px wide (wider means it scrolls sideways).
    static func scrollWidth(_ page: String, width: Int, in directory: URL) throws -> Int? {
        let dom = try measure(
            page, script: "document.body.setAttribute('data-scroll-width', document.documentElement.scrollWidth)",
            width: width, in: directory)
        guard let range = dom.range(of: #"data-scroll-width="(\d+)""#, options: .regularExpression) else { return nil }
        return Int(dom[range].dropFirst("data-scroll-width=\"".count).dropLast())
    }

    /// A screenshot's width, height and count of dark pixels (any channel below 160).
    static func screenshot(_ page: String, width: Int, height: Int, in directory: URL) throws -> [Int] {
        let png = directory.appendingPathComponent("shot-\(UUID()).png").path
        defer { try? FileManager.default.removeItem(atPath: png) }
        _ = try run(flags(width: width, height: height) + ["--screenshot=\(png)", "file://\(page)"])
        let output = try TCPAnalysisTestsPaths.run("/usr/bin/env", ["python3", "-c", pngDarkPixels, png])
        return output.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// A small PNG decoder (zlib + scanline filters) that counts non-white pixels.
    static let pngDarkPixels = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat = 8, b''
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            chunk = data[pos + 8:pos + 8 + length]
            if kind == b'IHDR': width, height, depth, color = struct.unpack('>IIBB', chunk[:10])
            if kind == b'IDAT': idat += chunk
            pos += 12 + length
        bpp = {2: 3, 6: 4}[color]
        raw, stride, prev, dark = zlib.decompress(idat), width * bpp, bytearray(width * bpp), 0
        for y in range(height):
            f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                if f == 1: line[i] = (line[i] + a) & 255
                elif f == 2: line[i] = (line[i] + b) & 255
                elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            dark += sum(1 for x in range(0, stride, bpp) if min(line[x:x + 3]) < 160)
            prev = line
        print(width, height, dark)
        """
}
