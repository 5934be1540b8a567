/// An append-only byte buffer for rendered text: renderers write ASCII straight into it and
/// the caller flushes it in large writes, instead of building a `String` per field.
///
/// The buffer owns raw memory and cannot be copied (so appends never pay for copy-on-write
/// checks); pass it `inout`.
public struct TextBuffer: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @usableFromInline var written: Int

    /// Bytes written so far.
    public var count: Int { written }

    public init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
        written = 0
    }

    deinit { base.deallocate() }

    public mutating func removeAll() { written = 0 }

    /// The written bytes, valid during `body`.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy of the bytes (tests, small outputs).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The text as a `String` (tests, small outputs).
    public var string: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    public var last: UInt8? { count > 0 ? base[count - 1] : nil }

    @usableFromInline mutating func grow(toFit extra: Int) {
        var newCapacity = capacity * 2
        while newCapacity < count + extra { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Makes room for `extra` bytes and returns where they go; the caller then adds to `count`
    /// through `commit`.
    @inlinable @inline(__always) mutating func reserve(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
        if written + extra > capacity { grow(toFit: extra) }
        return base + written
    }

    @inlinable @inline(__always) mutating func commit(_ bytes: Int) { written += bytes }

    @inlinable public mutating func append(bytes source: UnsafeRawBufferPointer) {
        guard let start = source.baseAddress, !source.isEmpty else { return }
        let target = reserve(source.count)
        UnsafeMutableRawPointer(target).copyMemory(from: start, byteCount: source.count)
        commit(source.count)
    }

    @inlinable @inline(__always) public mutating func append(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        let target = reserve(length)
        let source = text.utf8Start
        if length <= 16 {
            // Most literals are a few bytes: a loop beats a call to memmove.
            var index = 0
            while index < length {
                target[index] = source[index]
                index += 1
            }
        } else {
            target.update(from: source, count: length)
        }
        commit(length)
    }

    public mutating func append(string text: String) {
        var text = text
        text.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Appends another buffer's bytes.
    public mutating func append(buffer other: borrowing TextBuffer) {
        append(bytes: UnsafeRawBufferPointer(start: other.base, count: other.count))
    }

    @inlinable public mutating func append(byte: UInt8) {
        let target = reserve(1)
        target.pointee = byte
        commit(1)
    }

    /// "00" through "99", for writing decimals two digits per division (a literal: no lazy
    /// initialization to check on every call).
    @usableFromInline static let digitPairs: StaticString = """
        0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
        5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899
        """

    /// Unsigned decimal.
    @inlinable public mutating func append(decimal value: UInt64) {
        if value < 10 {
            append(byte: 0x30 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        // Digits by a few comparisons (ports, lengths and sequence numbers have up to 10).
        var digits: Int
        if value < 100_000 {
            digits = value < 100 ? 2 : value < 1000 ? 3 : value < 10_000 ? 4 : 5
        } else if value < 10_000_000_000 {
            digits =
                value < 1_000_000
                ? 6 : value < 10_000_000 ? 7 : value < 100_000_000 ? 8 : value < 1_000_000_000 ? 9 : 10
        } else {
            digits = 11
            var limit: UInt64 = 100_000_000_000
            while digits < 20 && value >= limit {
                digits += 1
                limit = limit &* 10
            }
        }
        let target = reserve(digits)
        var rest = value
        var index = digits
        let pairs = Self.digitPairs.utf8Start
        while rest >= 10 {
            let pair = Int(truncatingIfNeeded: rest % 100) &* 2
            rest /= 100
            index -= 2
            target[index] = pairs[pair]
            target[index + 1] = pairs[pair + 1]
        }
        if index > 0 { target[0] = 0x30 &+ UInt8(truncatingIfNeeded: rest) }
        commit(digits)
    }

    /// Writes `value` in decimal at `target` (room for 10 bytes) and returns how many bytes
    /// it wrote: two digits per division, each pair stored at once.
    @inlinable @inline(__always)
    public static func write(decimal value: UInt32, to target: UnsafeMutablePointer<UInt8>) -> Int {
        let digits =
            value < 100_000
            ? (value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : value < 10_000 ? 4 : 5)
            : (value < 1_000_000
                ? 6 : value < 10_000_000 ? 7 : value < 100_000_000 ? 8 : value < 1_000_000_000 ? 9 : 10)
        let pairs = UnsafeRawPointer(digitPairs.utf8Start)
        let raw = UnsafeMutableRawPointer(target)
        var rest = value
        var index = digits
        while rest >= 100 {
            let pair = Int(truncatingIfNeeded: rest % 100) &* 2
            rest /= 100
            index -= 2
            raw.storeBytes(
                of: pairs.loadUnaligned(fromByteOffset: pair, as: UInt16.self), toByteOffset: index, as: UInt16.self)
        }
        if rest >= 10 {
            raw.storeBytes(
                of: pairs.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: rest) &* 2, as: UInt16.self),
                toByteOffset: 0, as: UInt16.self)
        } else {
            target[0] = 0x30 &+ UInt8(truncatingIfNeeded: rest)
        }
        return digits
    }

    @inlinable public mutating func append<T: BinaryInteger>(_ value: T) {
        if value < 0 {
            append(byte: UInt8(ascii: "-"))
            append(decimal: UInt64(0 &- Int64(value)))
        } else {
            append(decimal: UInt64(value))
        }
    }

    /// Decimal with leading zeros to exactly `width` digits (timestamps; larger values wrap).
    @inlinable public mutating func append(zeroPadded value: UInt64, width: Int) {
        let target = reserve(width)
        var rest = value
        var index = width
        let pairs = UnsafeRawPointer(Self.digitPairs.utf8Start)
        while index >= 2 {
            let pair = Int(truncatingIfNeeded: rest % 100) &* 2
            rest /= 100
            index -= 2
            UnsafeMutableRawPointer(target).storeBytes(
                of: pairs.loadUnaligned(fromByteOffset: pair, as: UInt16.self), toByteOffset: index, as: UInt16.self)
        }
        if index == 1 { target[0] = 0x30 &+ UInt8(truncatingIfNeeded: rest % 10) }
        commit(width)
    }

    /// Lower-case hexadecimal with at least `minDigits` digits (no `0x` prefix).
    @inlinable public mutating func append(hex value: UInt64, minDigits: Int = 1) {
        var digits = 1
        while digits < 16 && value >> (4 * UInt64(digits)) != 0 { digits += 1 }
        digits = max(digits, minDigits)
        let target = reserve(digits)
        var rest = value
        var index = digits - 1
        while index >= 0 {
            let nibble = UInt8(truncatingIfNeeded: rest & 0xF)
            target[index] = nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble
            rest >>= 4
            index -= 1
        }
        commit(digits)
    }

    /// Spaces until `width` bytes were written since `start` (for `%-5s`-style padding).
    public mutating func pad(from start: Int, to width: Int) {
        let written = count - start
        if written < width {
            let target = reserve(width - written)
            target.update(repeating: 0x20, count: width - written)
            commit(width - written)
        }
    }
}
