import Foundation

/// Captures that are not a student's own work: the ones netlab ships (captures/) and the ones
/// an instructor saw before (a file of SHA-256 hashes, one per line, optionally followed by a
/// label: `sha256sum`'s output works as it is).
public struct CaptureRegistry: Sendable {
    /// Hash → the bundled file's name.
    public var bundled: [String: String] = [:]
    /// Hash → where it was seen (the label after the hash, or the registry's name).
    public var seen: [String: String] = [:]

    public init() {}

    /// The hashes of every file in `directory` (netlab's captures/).
    public static func bundled(in directory: String) -> [String: String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var hashes: [String: String] = [:]
        for name in names.sorted() where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
            if let hash = try? StudentID.sha256(of: directory + "/" + name) { hashes[hash] = "captures/" + name }
        }
        return hashes
    }

    /// Reads a registry of seen hashes. Lines that do not start with 64 hex digits are skipped
    /// (comments, blank lines).
    public static func seen(from path: String) throws -> [String: String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var hashes: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard let first = words.first?.lowercased(), first.count == 64,
                first.allSatisfy({ $0.isHexDigit })
            else { continue }
            let label = words.count > 1 ? words[1].trimmingCharacters(in: .whitespaces) : ""
            hashes[first] = label.isEmpty ? (path as NSString).lastPathComponent : label
        }
        return hashes
    }

    /// Why a capture with this hash is refused, or nil.
    public func refusal(for hash: String, lesson: Int) -> String? {
        if let name = bundled[hash] {
            return "this is netlab's bundled capture \(name), not a recording of your own: record yours "
                + "(`sudo netlab lesson record \(lesson) --exercise --student ID`)"
        }
        if let label = seen[hash] {
            return "this capture was handed in before (\(label), in the instructor's registry): record a new one"
        }
        return nil
    }
}

/// The student-ID requirement of `lesson check --student ID`: the ID must be on the wire.
public struct StudentCheck: Sendable {
    public var id: String
    public var frame: Int?
    public var others: [String]

    public init(id: String, onWire: [(id: String, frame: Int)]) {
        self.id = id
        frame = onWire.first { $0.id == id }?.frame
        others = onWire.map(\.id).filter { $0 != id }
    }

    public var passed: Bool { frame != nil }

    /// One line in the style of the check's lines.
    public func line(placement: String?) -> String {
        if let frame { return "✓ your student ID on the wire — \(StudentID.marker)\(id) in frame \(frame)" }
        var found = "not found"
        if !others.isEmpty { found += "; the capture carries \(others.joined(separator: ", ")) instead" }
        let placementNote = placement.map { " (\($0))" } ?? ""
        return
            "✗ your student ID on the wire — \(found): send `\(StudentID.marker)\(id)`\(placementNote) while recording"
    }
}

/// One capture graded for `lesson grade`.
public struct GradedCapture: Sendable {
    public var file: String
    public var sha256 = ""
    /// The student: the ID on the wire, else the file name's.
    public var student: String?
    public var idsOnWire: [String] = []
    public var results: [(passed: Bool, found: String)] = []
    /// Why it could not be read.
    public var unreadable: String?
    /// Why it is not the student's own (bundled, seen before).
    public var refused: String?
    /// Other files in the same directory with the same bytes.
    public var duplicateOf: [String] = []
    public var notes: [String] = []

    public var idOnWire: Bool { student.map { idsOnWire.contains($0) } ?? false }
    public var checksPassed: Bool { unreadable == nil && !results.isEmpty && results.allSatisfy(\.passed) }
    public var passed: Bool { checksPassed && idOnWire && refused == nil && duplicateOf.isEmpty }

    /// One word for the table.
    public var verdict: String {
        if unreadable != nil { return "unreadable" }
        if refused != nil { return "refused" }
        if !duplicateOf.isEmpty { return "duplicate" }
        if !idOnWire { return "no-id" }
        return checksPassed ? "pass" : "fail"
    }
}

/// Grades a directory of captures against one lesson.
public struct Grader: Sendable {
    public var lesson: Lesson
    public var registry: CaptureRegistry

    public init(lesson: Lesson, registry: CaptureRegistry) {
        self.lesson = lesson
        self.registry = registry
    }

    /// The capture files in a directory (pcap and pcapng), by name.
    public static func captures(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { directory + "/" + $0 }
    }

    public func grade(_ path: String) -> GradedCapture {
        var graded = GradedCapture(file: (path as NSString).lastPathComponent)
        let fromName = StudentID.fromFileName(path)
        do {
            graded.sha256 = try StudentID.sha256(of: path)
        } catch {
            graded.unreadable = "\(error.localizedDescription)"
            graded.student = fromName
            return graded
        }
        graded.refused = registry.refusal(for: graded.sha256, lesson: lesson.number)
        do {
            let facts = try CaptureFacts.read(path)
            graded.results = LessonVerdict(lesson: lesson, facts: facts).results.map { ($0.passed, $0.found) }
            graded.idsOnWire = try StudentID.onWire(in: path).map(\.id).filter { $0 != StudentID.anonymous }
        } catch {
            graded.unreadable = "\(error)"
            graded.student = fromName
            return graded
        }
        if let fromName, graded.idsOnWire.contains(fromName) {
            graded.student = fromName
        } else if let first = graded.idsOnWire.first {
            graded.student = first
            if let fromName { graded.notes.append("file name says \(fromName), the wire \(first)") }
        } else {
            graded.student = fromName
            graded.notes.append("no student ID on the wire (\(StudentID.marker)ID)")
        }
        if graded.idsOnWire.count > 1 {
            graded.notes.append("several IDs on the wire: \(graded.idsOnWire.joined(separator: ", "))")
        }
        return graded
    }

    /// Grades every file; `progress(done, total, file)` is called before each.
    public func grade(_ paths: [String], progress: (Int, Int, String) -> Void = { _, _, _ in }) -> [GradedCapture] {
        var graded: [GradedCapture] = []
        for (index, path) in paths.enumerated() {
            progress(index + 1, paths.count, path)
            graded.append(grade(path))
        }
        Self.flagDuplicates(&graded)
        return graded
    }

    /// Marks captures with the same bytes as another in the set: one recording handed in twice.
    public static func flagDuplicates(_ graded: inout [GradedCapture]) {
        var byHash: [String: [Int]] = [:]
        for (index, capture) in graded.enumerated() where !capture.sha256.isEmpty {
            byHash[capture.sha256, default: []].append(index)
        }
        for indices in byHash.values where indices.count > 1 {
            for index in indices {
                graded[index].duplicateOf = indices.filter { $0 != index }.map { graded[$0].file }
            }
        }
    }
}
