#if canImport(Glibc)
    import Glibc
#endif

/// The fuzz targets; `NETLAB_FUZZ_TARGET` picks the one this process runs.
enum FuzzTarget: String, CaseIterable, Sendable {
    case printer, flow, http, lesson, transfer, dns

    func run(_ data: [UInt8]) {
        switch self {
        case .printer: PrinterTarget.run(data)
        case .flow: FlowTarget.run(data)
        case .http: HTTPTarget.run(data)
        case .lesson: LessonTarget.run(data)
        case .transfer: TransferTarget.run(data)
        case .dns: DNSTarget.run(data)
        }
    }
}

let selectedTarget: FuzzTarget = {
    if let name = getenv("NETLAB_FUZZ_TARGET"), let target = FuzzTarget(rawValue: String(cString: name)) {
        return target
    }
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    report("netlab-fuzz: set NETLAB_FUZZ_TARGET to one of: \(names)\n")
    exit(64)
}()

/// Writes to stderr without touching C's `stderr` global (not concurrency-safe in Swift 6).
func report(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// A property the target checks failed: print why, then trap so libFuzzer keeps the input.
func violated(_ what: String) -> Never {
    report("netlab-fuzz (\(selectedTarget.rawValue)): \(what)\n")
    fatalError(what)
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<Int32>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> Int32 {
    _ = selectedTarget
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget.run(bytes)
    return 0
}

/// Deterministic pseudo-random numbers (SplitMix64) seeded from the input itself, so a
/// crashing input reproduces with the same splits.
struct SplitMix64 {
    var state: UInt64

    init(seed bytes: [UInt8]) {
        // FNV-1a over the input.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        state = hash
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A value in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Ways to cut `count` bytes into pieces: one piece, one byte at a time, and `random` random
/// cuttings. Each is a list of piece lengths summing to `count`.
func splits(of bytes: [UInt8], random: Int) -> [[Int]] {
    let count = bytes.count
    var result: [[Int]] = [[count], Array(repeating: 1, count: count)]
    var generator = SplitMix64(seed: bytes)
    for _ in 0..<random {
        var pieces: [Int] = []
        var left = count
        while left > 0 {
            // Mostly short pieces, sometimes long ones, so cuts land everywhere.
            let piece = generator.below(4) == 0 ? 1 + generator.below(left) : min(left, 1 + generator.below(8))
            pieces.append(piece)
            left -= piece
        }
        result.append(pieces.isEmpty ? [0] : pieces)
    }
    return result
}

/// Calls `body` with each piece of `bytes` cut as `pieces` says.
func forEachPiece(of bytes: [UInt8], _ pieces: [Int], _ body: (ArraySlice<UInt8>) -> Void) {
    var start = 0
    for length in pieces {
        body(bytes[start..<(start + length)])
        start += length
    }
}
