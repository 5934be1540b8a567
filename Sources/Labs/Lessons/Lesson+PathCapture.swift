import Foundation

extension Lesson {
    /// The line of an exercise that names the file its own commands capture into.
    static let captureFileMarker = "# capture file:"

    /// An exercise on a `netlab path` (lessons 19, 20) cannot be captured on lo: its packets
    /// cross the path's devices inside their namespaces. Its commands capture there themselves
    /// (`sudo netlab sniff --path client -w FILE … &`), and a `# capture file: FILE` line names
    /// that file, which is then the exercise's capture. nil: captured on lo as usual.
    public var exerciseCaptureFile: String? {
        guard let block = blocks.first(where: { $0.language == "exercise" }) else { return nil }
        for line in block.lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(Self.captureFileMarker) else { continue }
            let file = trimmed.dropFirst(Self.captureFileMarker.count).trimmingCharacters(in: .whitespaces)
            return file.split(separator: " ").first.map(String.init)
        }
        return nil
    }
}
