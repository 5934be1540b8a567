import Foundation

/// Files that ship in the netlab checkout (lessons, bundled captures), found from the current
/// directory or from the directories above the running binary (`.build/debug/netlab`).
public enum SourceTree {
    public static func find(_ relativePath: String, near executable: String = CommandLine.arguments[0]) -> String? {
        var candidates = [relativePath]
        var url = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(url.appendingPathComponent(relativePath).path)
            url.deleteLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}
