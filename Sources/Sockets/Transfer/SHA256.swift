import Crypto

/// SHA-256 (FIPS 180-4), streaming: feed any number of pieces, then `finish()`. The file
/// transfer uses it to prove that what arrived is what was sent. The hashing is swift-crypto's
/// (BoringSSL, with the CPU's SHA extensions where present); this keeps the transfer's API small.
public struct SHA256 {
    private var hasher = Crypto.SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The 32-byte digest. The hasher is spent afterwards.
    public mutating func finish() -> [UInt8] {
        Array(hasher.finalize())
    }

    /// Lower-case hexadecimal, as `sha256sum` prints it.
    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
