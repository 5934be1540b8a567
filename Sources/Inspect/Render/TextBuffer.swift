/// An append-only byte buffer for rendered text: renderers write ASCII straight into it and
/// the caller flushes it in large writes, instead of building a `String` per field.
public struct TextBuffer {
    public var bytes: [UInt8]

    public init(capacity: Int = 1 << 16) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// The text as a `String` (tests, small outputs).
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    @inlinable public mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inlinable public mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    @inlinable public mutating func append(byte: UInt8) { bytes.append(byte) }

    /// Unsigned decimal.
    @inlinable public mutating func append(decimal value: UInt64) {
        if value < 10 {
            bytes.append(0x30 &+ UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes of scratch
        var length = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { scratch in
            while rest > 0 {
                scratch[31 - length] = 0x30 &+ UInt8(rest % 10)
                rest /= 10
                length += 1
            }
            bytes.append(contentsOf: scratch[(32 - length)...])
        }
    }

    @inlinable public mutating func append<T: BinaryInteger>(_ value: T) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            append(decimal: UInt64(-Int64(value)))
        } else {
            append(decimal: UInt64(value))
        }
    }

    /// Decimal right-aligned with leading zeros to `width` digits (timestamps).
    @inlinable public mutating func append(zeroPadded value: UInt64, width: Int) {
        var divisor: UInt64 = 1
        for _ in 1..<max(width, 1) { divisor *= 10 }
        var rest = value % (divisor * 10)
        while divisor > 0 {
            bytes.append(0x30 &+ UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Lower-case hexadecimal with at least `minDigits` digits (no `0x` prefix).
    @inlinable public mutating func append(hex value: UInt64, minDigits: Int = 1) {
        var digitCount = 1
        while digitCount < 16, value >> (4 * UInt64(digitCount)) != 0 { digitCount += 1 }
        digitCount = max(digitCount, minDigits)
        var shift = 4 * (digitCount - 1)
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: shift >= 64 ? 0 : (value >> UInt64(shift)) & 0xF)
            bytes.append(nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble)
            shift -= 4
        }
    }

    /// Spaces up to `column` bytes since `start` (for `%-5s`-style padding).
    public mutating func pad(from start: Int, to width: Int) {
        let written = bytes.count - start
        if written < width { bytes.append(contentsOf: repeatElement(0x20, count: width - written)) }
    }
}
