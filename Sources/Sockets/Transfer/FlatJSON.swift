import Inspect

/// A JSON object with string, integer and boolean members and nothing nested: what message
/// headers need (`{"name":"a.txt","size":12,"sha256":"…"}`). Decoding is strict and bounded,
/// since headers come from the network. (Encoding also takes decimals and nested objects, for
/// reports; the decoder never produces them.)
public struct FlatJSON: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case bool(Bool)
        case double(Double)
        case object(FlatJSON)
        case null
    }

    public private(set) var members: [(key: String, value: Value)] = []

    public init(_ members: [(String, Value)] = []) {
        self.members = members.map { (key: $0.0, value: $0.1) }
    }

    public static func == (a: FlatJSON, b: FlatJSON) -> Bool {
        a.members.count == b.members.count
            && zip(a.members, b.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public subscript(key: String) -> Value? { members.last { $0.key == key }?.value }

    public func string(_ key: String) -> String? {
        if case .string(let value)? = self[key] { return value }
        return nil
    }

    public func integer(_ key: String) -> Int? {
        if case .integer(let value)? = self[key] { return value }
        return nil
    }

    public func bool(_ key: String) -> Bool? {
        if case .bool(let value)? = self[key] { return value }
        return nil
    }

    public var encoded: String {
        var text = "{"
        for (index, member) in members.enumerated() {
            if index > 0 { text += "," }
            text += Self.quote(member.key) + ":"
            switch member.value {
            case .string(let value): text += Self.quote(value)
            case .integer(let value): text += String(value)
            case .bool(let value): text += value ? "true" : "false"
            case .double(let value): text += value.isFinite ? String(value) : "null"
            case .object(let value): text += value.encoded
            case .null: text += "null"
            }
        }
        return text + "}"
    }

    static func quote(_ text: String) -> String {
        var buffer = TextBuffer(capacity: text.utf8.count + 2)
        JSONLines.appendString(text, into: &buffer)
        return buffer.string
    }

    public struct DecodingError: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { "bad JSON header: \(reason)" }
    }

    /// Parses one flat object; anything else (arrays, nesting, trailing bytes) is an error.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> FlatJSON {
        var parser = Parser(bytes: bytes)
        let object = try parser.object()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw DecodingError(reason: "bytes after the object") }
        return object
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(DecodingError) {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == byte else {
                throw DecodingError(reason: "expected '\(Character(Unicode.Scalar(byte)))' at byte \(index)")
            }
            index += 1
        }

        mutating func object() throws(DecodingError) -> FlatJSON {
            try expect(UInt8(ascii: "{"))
            var result = FlatJSON()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return result
            }
            while true {
                skipWhitespace()
                let key = try string()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                result.members.append((key, try value()))
                guard result.members.count <= 64 else { throw DecodingError(reason: "too many members") }
                skipWhitespace()
                guard index < bytes.count else { throw DecodingError(reason: "unterminated object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"))
                return result
            }
        }

        mutating func value() throws(DecodingError) -> Value {
            guard index < bytes.count else { throw DecodingError(reason: "missing value") }
            switch bytes[index] {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t") where bytes[index...].starts(with: Array("true".utf8)):
                index += 4
                return .bool(true)
            case UInt8(ascii: "f") where bytes[index...].starts(with: Array("false".utf8)):
                index += 5
                return .bool(false)
            case UInt8(ascii: "-"), 0x30...0x39:
                let start = index
                index += 1
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
                guard let number = Int(String(decoding: bytes[start..<index], as: UTF8.self)) else {
                    throw DecodingError(reason: "number out of range")
                }
                return .integer(number)
            default:
                throw DecodingError(reason: "only strings, integers and booleans are allowed (byte \(index))")
            }
        }

        mutating func string() throws(DecodingError) -> String {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw DecodingError(reason: "expected a string at byte \(index)")
            }
            index += 1
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() throws(DecodingError) {
                guard !raw.isEmpty else { return }
                guard let text = String(validating: raw, as: UTF8.self) else {
                    throw DecodingError(reason: "invalid UTF-8")
                }
                scalars.append(contentsOf: text.unicodeScalars)
                raw = []
            }
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    try flush()
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    try flush()
                    guard index < bytes.count else { break }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "b"): scalars.append("\u{8}")
                    case UInt8(ascii: "f"): scalars.append("\u{c}")
                    case UInt8(ascii: "u"):
                        guard index + 4 <= bytes.count,
                            let code = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16),
                            let scalar = Unicode.Scalar(code)
                        else { throw DecodingError(reason: "bad \\u escape") }
                        scalars.append(scalar)
                        index += 4
                    default: throw DecodingError(reason: "bad escape")
                    }
                case 0x00..<0x20:
                    throw DecodingError(reason: "control character in a string")
                default:
                    raw.append(byte)
                }
            }
            throw DecodingError(reason: "unterminated string")
        }
    }
}
