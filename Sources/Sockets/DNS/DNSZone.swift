import Inspect

/// The records a `netlab server dns` answers from, read from a small zone file:
///
///     $ORIGIN example.test.          names without a final dot are relative to this
///     $TTL 300                       default TTL for the lines that follow
///     @        SOA   ns1 admin 1 3600 600 86400 60
///     www      A     127.0.0.1
///     www  60  AAAA  ::1             an optional TTL before the type
///     @        MX    10 mail
///     alias    CNAME www
///     @        TXT   "hello world" "second string"
///     _http._tcp SRV 0 5 8000 www
///
/// `#` or `;` starts a comment. Types: A, AAAA, NS, CNAME, PTR, MX, TXT, SRV, SOA.
public struct DNSZone: Sendable {
    public struct Entry: Sendable {
        public var name: [[UInt8]]
        public var type: UInt16
        public var ttl: UInt32
        public var data: DNSMessage.RecordData
    }

    public private(set) var entries: [Entry] = []
    /// Every origin named by $ORIGIN (the server is authoritative below these).
    public private(set) var origins: [[[UInt8]]] = []

    public struct Problem: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "zone line \(line): \(reason)" }
    }

    public init(text: String) throws(Problem) {
        var origin: [[UInt8]] = []
        var ttl: UInt32 = 300
        var previousName: [[UInt8]]?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = Self.stripComment(String(rawLine))
            let startsWithSpace = line.first == " " || line.first == "\t"
            var fields = Self.fields(line)
            if fields.isEmpty { continue }
            if fields[0].uppercased() == "$ORIGIN" {
                guard fields.count == 2, let labels = DNSName.labels(fields[1]), fields[1].hasSuffix(".") else {
                    throw Problem(line: number, reason: "$ORIGIN needs one absolute name (ending in a dot)")
                }
                origin = labels
                origins.append(labels)
                continue
            }
            if fields[0].uppercased() == "$TTL" {
                guard fields.count == 2, let value = UInt32(fields[1]) else {
                    throw Problem(line: number, reason: "$TTL needs a number of seconds")
                }
                ttl = value
                continue
            }
            // A line starting with blanks repeats the previous name, as in zone files.
            let name: [[UInt8]]
            if startsWithSpace {
                guard let previousName else { throw Problem(line: number, reason: "no name before this line") }
                name = previousName
            } else {
                guard let absolute = Self.absolute(fields.removeFirst(), origin: origin) else {
                    throw Problem(
                        line: number, reason: "bad name (empty label, label over 63 bytes, or over 255 bytes)")
                }
                name = absolute
            }
            previousName = name
            var entryTTL = ttl
            if let first = fields.first, let value = UInt32(first) {
                entryTTL = value
                fields.removeFirst()
            }
            if fields.first?.uppercased() == "IN" { fields.removeFirst() }
            guard !fields.isEmpty, let type = DNSType.parse(fields.removeFirst()) else {
                throw Problem(
                    line: number, reason: "expected a record type (A, AAAA, NS, CNAME, PTR, MX, TXT, SRV, SOA)")
            }
            let data = try Self.data(type: type, fields, origin: origin, line: number)
            entries.append(Entry(name: name, type: type, ttl: entryTTL, data: data))
        }
        if origins.isEmpty {
            // Without $ORIGIN the zone is authoritative for the names it lists.
            var seen: [[[UInt8]]] = []
            for entry in entries where !seen.contains(where: { Self.same($0, entry.name) }) { seen.append(entry.name) }
            origins = seen
        }
    }

    private static func stripComment(_ line: String) -> String {
        var result = ""
        var quoted = false
        for character in line {
            if character == "\"" { quoted.toggle() }
            if !quoted && (character == "#" || character == ";") { break }
            result.append(character)
        }
        return result
    }

    /// Whitespace-separated fields; a quoted string is one field (quotes kept).
    private static func fields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if !quoted && (character == " " || character == "\t" || character == "\r") {
                if !current.isEmpty { fields.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { fields.append(current) }
        return fields
    }

    static func absolute(_ text: String, origin: [[UInt8]]) -> [[UInt8]]? {
        if text == "@" { return origin }
        guard let labels = DNSName.labels(text) else { return nil }
        let name = text.hasSuffix(".") ? labels : labels + origin
        return name.reduce(1, { $0 + $1.count + 1 }) <= 255 ? name : nil
    }

    private static func data(type: UInt16, _ fields: [String], origin: [[UInt8]], line: Int) throws(Problem)
        -> DNSMessage.RecordData
    {
        func fail(_ why: String) -> Problem { Problem(line: line, reason: why) }
        func name(_ text: String) throws(Problem) -> [[UInt8]] {
            guard let labels = absolute(text, origin: origin) else { throw fail("bad name '\(text)'") }
            return labels
        }
        func number<T: FixedWidthInteger>(_ text: String, _: T.Type) throws(Problem) -> T {
            guard let value = T(text) else { throw fail("'\(text)' is not a number in range") }
            return value
        }
        switch type {
        case DNSType.a:
            let parts = fields.first?.split(separator: ".").compactMap { UInt8($0) } ?? []
            guard fields.count == 1, parts.count == 4 else { throw fail("A needs one IPv4 address") }
            return .address(parts)
        case DNSType.aaaa:
            guard fields.count == 1, let address = IPv6Text.parse(fields[0]) else {
                throw fail("AAAA needs one IPv6 address")
            }
            return .address(address)
        case DNSType.ns, DNSType.cname, DNSType.ptr:
            guard fields.count == 1 else { throw fail("\(DNSType.name(type)) needs one name") }
            return .name(try name(fields[0]))
        case DNSType.mx:
            guard fields.count == 2 else { throw fail("MX needs a preference and a name") }
            return .mailExchange(preference: try number(fields[0], UInt16.self), exchange: try name(fields[1]))
        case DNSType.txt:
            guard !fields.isEmpty else { throw fail("TXT needs at least one string") }
            return .text(
                fields.map { field in
                    let unquoted =
                        field.hasPrefix("\"") && field.hasSuffix("\"") && field.count >= 2
                        ? String(field.dropFirst().dropLast()) : field
                    return Array(unquoted.utf8.prefix(255))
                })
        case DNSType.srv:
            guard fields.count == 4 else { throw fail("SRV needs priority, weight, port and target") }
            return .service(
                priority: try number(fields[0], UInt16.self), weight: try number(fields[1], UInt16.self),
                port: try number(fields[2], UInt16.self), target: try name(fields[3]))
        case DNSType.soa:
            guard fields.count == 7 else { throw fail("SOA needs primary, mailbox and five numbers") }
            return .authority(
                primary: try name(fields[0]), mailbox: try name(fields[1]), serial: try number(fields[2], UInt32.self),
                refresh: try number(fields[3], UInt32.self), retry: try number(fields[4], UInt32.self),
                expire: try number(fields[5], UInt32.self), minimum: try number(fields[6], UInt32.self))
        default:
            throw fail("type \(DNSType.name(type)) is not served (A, AAAA, NS, CNAME, PTR, MX, TXT, SRV, SOA)")
        }
    }

    /// Names compare without regard to ASCII case (RFC 4343).
    static func same(_ a: [[UInt8]], _ b: [[UInt8]]) -> Bool {
        a.count == b.count
            && zip(a, b).allSatisfy { left, right in
                left.count == right.count && zip(left, right).allSatisfy { lower($0) == lower($1) }
            }
    }

    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    /// True when `name` is `origin` or below it.
    static func isWithin(_ name: [[UInt8]], _ origin: [[UInt8]]) -> Bool {
        name.count >= origin.count && same(Array(name.suffix(origin.count)), origin)
    }

    func records(named name: [[UInt8]]) -> [Entry] { entries.filter { Self.same($0.name, name) } }
}

/// IPv6 text to bytes (RFC 4291 §2.2 forms, `::` included; no embedded IPv4).
enum IPv6Text {
    static func parse(_ text: String) -> [UInt8]? {
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var values: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                values.append(value)
            }
            return values
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
