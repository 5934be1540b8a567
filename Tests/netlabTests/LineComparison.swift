/// Compares netlab's output with tcpdump's, record by record, counting in-scope lines.
enum LineComparison {
    struct Tally {
        var records = 0, lines = 0, matchedLines = 0
        var outOfScope: [String: Int] = [:]
        var examples: [String: String] = [:]
        var mismatches: [String] = []
    }

    /// Compares one capture's output with a reference, record by record.
    static func compare(expected: String, actual: String, file: String, into tally: inout Tally) {
        let want = ScopeClassifier.records(expected)
        let got = ScopeClassifier.records(actual)
        for (index, record) in want.enumerated() {
            if let name = ScopeClassifier.outOfScopeClass(record) {
                tally.outOfScope[name, default: 0] += 1
                if tally.examples[name] == nil {
                    tally.examples[name] = String(record.lines.joined(separator: " | ").prefix(200))
                }
                continue
            }
            tally.records += 1
            let mine = index < got.count ? got[index].lines : []
            for (lineIndex, line) in record.lines.enumerated() {
                tally.lines += 1
                if lineIndex < mine.count && mine[lineIndex] == line {
                    tally.matchedLines += 1
                } else if tally.mismatches.count < 40 {
                    tally.mismatches.append(
                        "\(file) record \(index + 1):\n  tcpdump: \(line)\n  netlab:  \(lineIndex < mine.count ? mine[lineIndex] : "<missing>")"
                    )
                }
            }
        }
    }

    static func report(_ tally: Tally, mode: String) -> Double {
        let ratio = tally.lines == 0 ? 0 : Double(tally.matchedLines) / Double(tally.lines)
        var text =
            "\nCONFORMANCE \(mode): \(tally.matchedLines)/\(tally.lines) in-scope lines identical to tcpdump "
        text += String(format: "(%.2f%%), %d in-scope packets\n", ratio * 100, tally.records)
        let skipped = tally.outOfScope.values.reduce(0, +)
        text += "  out of scope (application decoders netlab does not have): \(skipped) packets: "
        text += tally.outOfScope.sorted { $0.value > $1.value }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        text += "\n"
        for (name, count) in tally.outOfScope.sorted(by: { $0.value > $1.value }).prefix(12) {
            text += "  example \(name) (\(count)): \(tally.examples[name] ?? "")\n"
        }
        for mismatch in tally.mismatches { text += "  MISMATCH \(mismatch)\n" }
        print(text)
        return ratio
    }
}
