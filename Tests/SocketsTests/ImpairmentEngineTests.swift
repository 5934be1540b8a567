import TestSupport
import XCTest

@testable import Sockets

/// The socket relays' engine against a reference written independently (its own SplitMix64
/// stream from TestSupport, `ReferenceRelease` for the last stage, the draws in the engine's
/// order as it was before it shared that stage with `LinkShaper`: loss, duplicate, reorder,
/// jitter): on thousands of generated settings and packet trains, every packet's fate and the
/// counters must be the same, so a seed keeps its decisions. NETLAB_LONG_TESTS=1 (as for
/// `LinkShaperTests`) runs ten times as many cases.
final class ImpairmentEngineTests: XCTestCase {
    struct Reference {
        let impairment: Impairment
        var random: SeededGenerator
        var release = ReferenceRelease()
        var counters = ImpairmentEngine.Counters()

        mutating func fate(at now: Double) -> [Double] {
            let draws = (0..<4).map { _ in Double(random.next() >> 11) / Double(1 << 53) }
            counters.seen += 1
            if draws[0] < impairment.loss {
                counters.dropped += 1
                return []
            }
            return release.times(
                from: now, impairment, duplicate: draws[1], reorder: draws[2], jitter: draws[3], counting: &counters)
        }
    }

    static func randomImpairment(_ generator: inout SeededGenerator) -> Impairment {
        var impairment = Impairment()
        impairment.seed = generator.next()
        impairment.loss = Bool.random(using: &generator) ? 0 : Double.random(in: 0...0.3, using: &generator)
        impairment.duplicate = Bool.random(using: &generator) ? 0 : Double.random(in: 0...0.2, using: &generator)
        impairment.reorder = Bool.random(using: &generator) ? 0 : Double.random(in: 0...0.2, using: &generator)
        impairment.delay = Bool.random(using: &generator) ? 0 : Double.random(in: 0...0.1, using: &generator)
        impairment.jitter = Double.random(in: 0...impairment.delay, using: &generator)
        return impairment
    }

    func testEngineAgreesWithTheReferenceOnGeneratedSettings() {
        var generator = SeededGenerator(state: 0x5EED_0020)
        var disagreements: [String] = []
        var packets = 0, reordered = 0, duplicated = 0
        for index in 0..<LinkShaperTests.cases {
            let impairment = Self.randomImpairment(&generator)
            var engine = ImpairmentEngine(impairment)
            var reference = Reference(impairment: impairment, random: SeededGenerator(state: impairment.seed))
            var now = 0.0
            for number in 0..<Int.random(in: 1...300, using: &generator) {
                now += Bool.random(using: &generator) ? 0 : Double.random(in: 0...0.002, using: &generator)
                packets += 1
                let got = engine.decide(now: now), expected = reference.fate(at: now)
                if got != expected && disagreements.count < 20 {
                    disagreements.append(
                        "case \(index) packet \(number): \(got) vs reference \(expected) (\(impairment))")
                }
            }
            if engine.counters != reference.counters && disagreements.count < 20 {
                disagreements.append("case \(index): counters \(engine.counters) vs \(reference.counters)")
            }
            reordered += engine.counters.reordered
            duplicated += engine.counters.duplicated
        }
        XCTAssertEqual(disagreements, [], "\(disagreements.count) disagreements over \(packets) packets")
        // The comparison means something only if the generated settings reorder and duplicate.
        XCTAssertGreaterThan(reordered, 0)
        XCTAssertGreaterThan(duplicated, 0)
        print(
            "ImpairmentEngine: \(LinkShaperTests.cases) settings, \(packets) packets (\(reordered) reordered, "
                + "\(duplicated) duplicated), \(disagreements.count) disagreements")
    }
}
