import Foundation

/// One lesson: a markdown file `lessons/NN-topic.md`. Besides prose it holds three kinds of
/// fenced blocks that netlab reads:
/// - ```` ```sh ````: the commands the student types (the test suite runs every one);
/// - ```` ```exercise ````: what `netlab lesson check N` and `lesson record N --exercise` run
///   live (`capture:` gives the BPF filter, also `lesson record`'s; the lesson's own ports, see
///   `LessonPorts`, become free ports; `{student}` the student's ID; `# student:` says where);
/// - ```` ```check ````: what a capture of the exercise must show, one `expect …` per line,
///   with the hint to print when it is missing after a colon.
public struct Lesson: Sendable {
    public var number: Int
    public var slug: String
    public var title: String
    public var path: String
    public var markdown: String

    public struct Block: Sendable {
        public var language: String
        public var lines: [String]
    }

    public init(path: String) throws {
        self.init(markdown: try String(contentsOfFile: path, encoding: .utf8), path: path)
    }

    /// A lesson from text already read (the fuzzer feeds the block parsers this way).
    public init(markdown: String, path: String) {
        self.path = path
        self.markdown = markdown
        let file = (path as NSString).lastPathComponent
        let stem = (file as NSString).deletingPathExtension
        number = Int(stem.prefix { $0.isNumber }) ?? 0
        slug = String(stem.drop { $0.isNumber || $0 == "-" })
        let heading =
            markdown.split(separator: "\n").first { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)) } ?? stem
        // "# 8. The three-way handshake" → "The three-way handshake" (the number is kept apart).
        let digits = heading.prefix { $0.isNumber }
        title =
            !digits.isEmpty && heading.dropFirst(digits.count).hasPrefix(". ")
            ? String(heading.dropFirst(digits.count + 2)) : heading
    }

    /// Fenced blocks in order.
    public var blocks: [Block] {
        var blocks: [Block] = []
        var current: Block?
        for line in markdown.components(separatedBy: "\n") {
            if line.hasPrefix("```") {
                if let open = current {
                    blocks.append(open)
                    current = nil
                } else {
                    current = Block(language: String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces), lines: [])
                }
            } else if current != nil {
                current!.lines.append(line)
            }
        }
        return blocks
    }

    public var shellBlocks: [Block] { blocks.filter { $0.language == "sh" } }

    public var expectations: [Expectation] {
        blocks.filter { $0.language == "check" }.flatMap(\.lines).compactMap(Expectation.init(line:))
    }

    /// Lines of the check block that are not `capture:`, a comment, or an `expect` of a known
    /// kind with an argument it can use: a typo there would silently drop a check, so
    /// `lesson check` refuses the lesson.
    public var checkProblems: [String] {
        blocks.filter { $0.language == "check" }.flatMap(\.lines).compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("capture:") { return nil }
            return Expectation.problem(line: trimmed)
        }
    }

    /// The live exercise: its capture filter and commands (placeholders not yet filled).
    public var exercise: (filter: String, commands: [String])? {
        guard let block = blocks.first(where: { $0.language == "exercise" }) else { return nil }
        var filter = "tcp or udp or icmp"
        var commands: [String] = []
        for line in block.lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("capture:") {
                filter = trimmed.dropFirst(8).trimmingCharacters(in: .whitespaces)
            } else if !trimmed.isEmpty && !trimmed.hasPrefix("#") {
                commands.append(trimmed)
            }
        }
        return (filter, commands)
    }

    /// The bundled capture for this lesson, named in its check block (`capture: FILE`).
    public var bundledCapture: String? {
        for line in blocks.filter({ $0.language == "check" }).flatMap(\.lines) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("capture:") { return trimmed.dropFirst(8).trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    /// Every `lessons/NN-*.md` in a directory, by number.
    public static func all(in directory: String) throws -> [Lesson] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        return try names.filter { $0.hasSuffix(".md") && $0.first?.isNumber == true }.sorted()
            .map { try Lesson(path: directory + "/" + $0) }
    }

    /// The lessons directory: ./lessons, or the one in the source tree this binary was built in.
    public static func directory(near executable: String) -> String? {
        SourceTree.find("lessons/01-sockets-and-names.md", near: executable).map {
            ($0 as NSString).deletingLastPathComponent
        }
    }
}
