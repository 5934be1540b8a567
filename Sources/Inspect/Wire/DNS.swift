/// DNS messages (RFC 1035 §4.1): the 12-byte header and domain names read one label at a time.
/// The readers print nothing: the tcpdump printer walks names with them (tcpdump's order of
/// checks included), and `DNSMessage` builds whole messages from them for `resolve` and the
/// DNS server.
public struct DNSHeader {
    public static let length = 12
    public let view: ByteView

    public init?(_ view: ByteView) {
        guard view.count >= Self.length else { return nil }
        self.view = view
    }

    public var identifier: UInt16 { view.be16(0)! }
    /// The second 16-bit word: QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode.
    public var flags: UInt16 { view.be16(2)! }
    public var isResponse: Bool { flags & 0x8000 != 0 }
    public var opcode: Int { Int(flags >> 11) & 0xF }
    public var authoritative: Bool { flags & 0x0400 != 0 }
    public var truncated: Bool { flags & 0x0200 != 0 }
    public var recursionDesired: Bool { flags & 0x0100 != 0 }
    public var recursionAvailable: Bool { flags & 0x0080 != 0 }
    public var authenticData: Bool { flags & 0x0020 != 0 }
    public var checkingDisabled: Bool { flags & 0x0010 != 0 }
    public var rcode: Int { Int(flags & 0xF) }
    public var questionCount: Int { Int(view.be16(4)!) }
    public var answerCount: Int { Int(view.be16(6)!) }
    public var authorityCount: Int { Int(view.be16(8)!) }
    public var additionalCount: Int { Int(view.be16(10)!) }
}

public enum DNSType {
    public static let a: UInt16 = 1, ns: UInt16 = 2, cname: UInt16 = 5, soa: UInt16 = 6, ptr: UInt16 = 12
    public static let mx: UInt16 = 15, txt: UInt16 = 16, aaaa: UInt16 = 28, srv: UInt16 = 33, a6: UInt16 = 38
    public static let dname: UInt16 = 39, opt: UInt16 = 41, unspecA: UInt16 = 104, tsig: UInt16 = 250, uri: UInt16 = 256
    public static let any: UInt16 = 255

    /// tcpdump's ns_type2str, the mnemonics of the types it knows (others print as TypeN).
    public static let names: [UInt16: String] = [
        1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL", 11: "WKS",
        12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB", 19: "X25", 20: "ISDN",
        21: "RT", 22: "NSAP", 23: "NSAP_PTR", 24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS", 28: "AAAA", 29: "LOC",
        30: "NXT", 31: "EID", 32: "NIMLOC", 33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX", 37: "CERT", 38: "A6",
        39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP", 45: "IPSECKEY", 46: "RRSIG",
        47: "NSEC", 48: "DNSKEY", 99: "SPF", 100: "UINFO", 101: "UID", 102: "GID", 103: "UNSPEC", 104: "UNSPECA",
        249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR", 253: "MAILB", 254: "MAILA", 255: "ANY", 256: "URI",
    ]

    public static func name(_ type: UInt16) -> String { names[type] ?? "Type\(type)" }

    /// A type from its mnemonic (case-insensitive) or `TYPEnnn`.
    public static func parse(_ text: String) -> UInt16? {
        let upper = text.uppercased()
        if let entry = names.first(where: { $0.value == upper }) { return entry.key }
        if upper.hasPrefix("TYPE"), let value = UInt16(upper.dropFirst(4)) { return value }
        return nil
    }
}

public enum DNSClass {
    public static let internet: UInt16 = 1
    /// tcpdump's ns_class2str.
    public static let names: [UInt16: String] = [1: "IN", 3: "CHAOS", 4: "HS", 255: "ANY"]
}

/// Domain names: labels, compression pointers (RFC 1035 §4.1.4) and the obsolete extended
/// label types (RFC 2671 bit labels), read with the rules tcpdump applies.
public enum DNSName {
    /// What the byte at a label position says.
    public enum LabelKind: Equatable {
        /// Not captured.
        case truncated
        /// An ordinary label of this many bytes (0: the root, the end of the name).
        case label(Int)
        /// A compression pointer (the two bytes 11xxxxxx xxxxxxxx).
        case pointer
        /// A bit label (0x41): `bytes` follow the length byte.
        case bitLabel(bytes: Int)
        /// Another extended label type (01xxxxxx): unknown.
        case unknownExtended(Int)
        /// 10xxxxxx: reserved.
        case reserved
    }

    public static func kind(_ view: ByteView, at offset: Int) -> LabelKind {
        guard let byte = view.u8(offset) else { return .truncated }
        switch byte & 0xC0 {
        case 0xC0: return .pointer
        case 0x40:
            let type = Int(byte & 0x3F)
            guard type == 1 else { return .unknownExtended(type) }
            guard let bits = view.u8(offset + 1) else { return .truncated }
            return .bitLabel(bytes: ((bits == 0 ? 256 : Int(bits)) + 7) / 8)
        case 0x80: return .reserved
        default: return .label(Int(byte))
        }
    }

    /// The offset just past the name at `offset` without following pointers (tcpdump's
    /// ns_nskip), or nil when it cannot be skipped (not captured, or an unknown label type).
    public static func skip(_ view: ByteView, at start: Int) -> Int? {
        var offset = start
        guard var byte = view.u8(offset) else { return nil }
        offset += 1
        while byte != 0 {
            switch byte & 0xC0 {
            case 0xC0: return offset + 1
            case 0x40:
                guard byte & 0x3F == 1, let bits = view.u8(offset) else { return nil }
                offset += 1 + ((bits == 0 ? 256 : Int(bits)) + 7) / 8
            case 0x80: return nil
            default: offset += Int(byte)
            }
            guard let next = view.u8(offset) else { return nil }
            byte = next
            offset += 1
        }
        return offset
    }

    /// The labels of the name at `offset`, pointers followed (each must point backwards, as BIND
    /// requires, so a loop is impossible), and the offset after the name where it was written.
    /// nil when the name is not whole: cut, a bad pointer, an unknown label type, or longer
    /// than 255 bytes.
    public static func read(_ view: ByteView, at start: Int) -> (labels: [[UInt8]], end: Int)? {
        var labels: [[UInt8]] = []
        var offset = start
        var end: Int?
        var limit = start
        var total = 0
        while true {
            switch kind(view, at: offset) {
            case .label(0):
                return (labels, end ?? offset + 1)
            case .label(let length):
                guard view.has(offset + 1, length) else { return nil }
                labels.append((0..<length).map { view.u8(offset + 1 + $0)! })
                total += length + 1
                guard total <= 255 else { return nil }
                offset += 1 + length
            case .pointer:
                guard let word = view.be16(offset) else { return nil }
                let target = Int(word & 0x3FFF)
                guard target < limit else { return nil }
                if end == nil { end = offset + 2 }
                limit = target
                offset = target
            default:
                return nil
            }
        }
    }

    /// A name as text (`www.example.com.`), bytes outside printable ASCII and dots inside a
    /// label escaped as in zone files (\DDD, \.).
    public static func text(_ labels: [[UInt8]]) -> String {
        guard !labels.isEmpty else { return "." }
        var text = ""
        for label in labels {
            for byte in label {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    text += "\\" + String(UnicodeScalar(byte))
                case 0x21...0x7E: text.append(Character(UnicodeScalar(byte)))
                default:
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
            text += "."
        }
        return text
    }

    /// Labels from text (`example.com` or `example.com.`); nil for an empty label or one over
    /// 63 bytes, or a name over 255 bytes.
    public static func labels(_ text: String) -> [[UInt8]]? {
        if text == "." { return [] }
        let trimmed = text.hasSuffix(".") ? String(text.dropLast()) : text
        var labels: [[UInt8]] = []
        for part in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(part.utf8)
            guard !bytes.isEmpty, bytes.count <= 63 else { return nil }
            labels.append(bytes)
        }
        guard labels.reduce(1, { $0 + $1.count + 1 }) <= 255 else { return nil }
        return labels
    }
}
