import Inspect

/// The incremental HTTP/1.x parser, strict and lenient: the same bytes delivered in any pieces
/// must give the same events (body and tunnel bytes compared after joining adjacent pieces;
/// an error by its kind, reason and offset),
/// and bytes the strict parser accepts must give the same events in lenient mode.
///
/// Input: byte 0 holds flags — bit 0: response (else request); bits 2–7: for a response, the
/// methods of the three requests it answers (2 bits each, see `methods`). The rest is the stream.
enum HTTPTarget {
    static let methods = ["GET", "HEAD", "CONNECT", "POST"]

    static func run(_ data: [UInt8]) {
        guard let flags = data.first else { return }
        let stream = Array(data.dropFirst())
        let kind: HTTPParser.Kind = flags & 1 == 1 ? .response : .request
        let requestMethods = (0..<3).map { methods[Int(flags >> (2 + 2 * $0)) & 3] }
        var strictEvents: [HTTPEvent] = []
        for lenient in [false, true] {
            var reference: [HTTPEvent]?
            for pieces in splits(of: stream, random: 3) {
                var parser = HTTPParser(kind: kind, lenient: lenient)
                if kind == .response { requestMethods.forEach { parser.expectResponse(to: $0) } }
                var events: [HTTPEvent] = []
                forEachPiece(of: stream, pieces) { piece in
                    if events.last.map(isFailure) != true { events += parser.parse(piece) }
                }
                if events.last.map(isFailure) != true { events += parser.finish() }
                let joined = join(events)
                if let reference {
                    guard same(joined, reference) else {
                        violated(
                            "\(lenient ? "lenient" : "strict") \(kind) parser: \(describe(pieces)) give\n\(joined)\n"
                                + "whole stream gives\n\(reference)")
                    }
                } else {
                    reference = joined
                }
            }
            if !lenient {
                strictEvents = reference ?? []
            } else if strictEvents.last.map(isFailure) != true, !same(reference!, strictEvents) {
                violated("strict accepts \(kind) bytes but lenient differs:\n\(reference!)\nstrict:\n\(strictEvents)")
            }
        }
    }

    /// Equal events, except that of an error only what, why and where count: the context it
    /// quotes (the bytes of the line so far) depends on how much of the line had arrived.
    static func same(_ a: [HTTPEvent], _ b: [HTTPEvent]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { pair in
            switch pair {
            case (.failed(let x), .failed(let y)): x.kind == y.kind && x.reason == y.reason && x.offset == y.offset
            default: pair.0 == pair.1
            }
        }
    }

    static func describe(_ pieces: [Int]) -> String {
        pieces.allSatisfy { $0 == 1 } ? "bytes one at a time" : "pieces of \(pieces)"
    }

    static func isFailure(_ event: HTTPEvent) -> Bool {
        if case .failed = event { return true }
        return false
    }

    /// Adjacent body (or tunnel) pieces joined, empty ones dropped: how bytes are cut into
    /// events depends on how they arrived, and nothing else may.
    static func join(_ events: [HTTPEvent]) -> [HTTPEvent] {
        var result: [HTTPEvent] = []
        for event in events {
            switch (result.last, event) {
            case (_, .body(let bytes)) where bytes.isEmpty, (_, .tunnel(let bytes)) where bytes.isEmpty:
                continue
            case (.body(let before), .body(let bytes)):
                result[result.count - 1] = .body(before + bytes)
            case (.tunnel(let before), .tunnel(let bytes)):
                result[result.count - 1] = .tunnel(before + bytes)
            default:
                result.append(event)
            }
        }
        return result
    }
}
