/// A whole DNS message (RFC 1035 §4), decoded from bytes or built to be sent: what `netlab
/// resolve --server` sends and shows, and what `netlab server dns` reads and answers. Names
/// are read with `DNSName.read` (pointers only backwards), so a hostile message can neither
/// loop nor point outside itself.
public struct DNSMessage: Sendable, Equatable {
    public struct Question: Sendable, Equatable {
        public var name: [[UInt8]]
        public var type: UInt16
        public var dnsClass: UInt16
        public init(name: [[UInt8]], type: UInt16, dnsClass: UInt16 = DNSClass.internet) {
            self.name = name
            self.type = type
            self.dnsClass = dnsClass
        }
    }

    public struct Record: Sendable, Equatable {
        public var name: [[UInt8]]
        public var type: UInt16
        public var dnsClass: UInt16
        public var ttl: UInt32
        /// The record data with names in it written out (no compression), so it stands alone.
        public var data: RecordData
        public init(name: [[UInt8]], type: UInt16, dnsClass: UInt16 = DNSClass.internet, ttl: UInt32, data: RecordData)
        {
            self.name = name
            self.type = type
            self.dnsClass = dnsClass
            self.ttl = ttl
            self.data = data
        }
    }

    /// Record data by type, for the types netlab shows and serves; others kept as bytes.
    public enum RecordData: Sendable, Equatable {
        case address([UInt8])  // A (4 bytes) or AAAA (16)
        case name([[UInt8]])  // NS, CNAME, PTR, DNAME
        case mailExchange(preference: UInt16, exchange: [[UInt8]])
        case text([[UInt8]])
        case service(priority: UInt16, weight: UInt16, port: UInt16, target: [[UInt8]])
        case authority(
            primary: [[UInt8]], mailbox: [[UInt8]], serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
            minimum: UInt32)
        case raw([UInt8])
    }

    public var identifier: UInt16
    /// The header's second word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode).
    public var flags: UInt16
    public var questions: [Question] = []
    public var answers: [Record] = []
    public var authorities: [Record] = []
    public var additionals: [Record] = []

    public init(identifier: UInt16, flags: UInt16) {
        self.identifier = identifier
        self.flags = flags
    }

    public var isResponse: Bool { flags & 0x8000 != 0 }
    public var rcode: Int { Int(flags & 0xF) }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case tooShort(Int)
        case badName(section: String, offset: Int)
        case cut(section: String, offset: Int)
        case trailingBytes(Int)
        public var description: String {
            switch self {
            case .tooShort(let count): "\(count) bytes: shorter than the 12-byte DNS header"
            case .badName(let section, let offset):
                "the \(section) section has a name at byte \(offset) that cannot be read (cut, a pointer that does not point back, an unknown label type, or longer than 255 bytes)"
            case .cut(let section, let offset): "the message ends inside the \(section) section (byte \(offset))"
            case .trailingBytes(let count): "\(count) bytes follow the last record"
            }
        }
    }

    /// Decodes a whole message; every count in the header must be honoured by the bytes.
    public static func decode(_ bytes: [UInt8]) -> Result<DNSMessage, Problem> {
        bytes.withUnsafeBytes { raw in decode(ByteView(raw)) }
    }

    public static func decode(_ view: ByteView) -> Result<DNSMessage, Problem> {
        guard let header = DNSHeader(view) else { return .failure(.tooShort(view.count)) }
        var message = DNSMessage(identifier: header.identifier, flags: header.flags)
        var offset = DNSHeader.length
        for _ in 0..<header.questionCount {
            guard let (name, end) = DNSName.read(view, at: offset) else {
                return .failure(.badName(section: "question", offset: offset))
            }
            guard let type = view.be16(end), let dnsClass = view.be16(end + 2) else {
                return .failure(.cut(section: "question", offset: end))
            }
            message.questions.append(Question(name: name, type: type, dnsClass: dnsClass))
            offset = end + 4
        }
        for (section, count) in [
            ("answer", header.answerCount), ("authority", header.authorityCount),
            ("additional", header.additionalCount),
        ] {
            for _ in 0..<count {
                switch record(view, at: offset, section: section) {
                case .failure(let problem): return .failure(problem)
                case .success(let (record, end)):
                    switch section {
                    case "answer": message.answers.append(record)
                    case "authority": message.authorities.append(record)
                    default: message.additionals.append(record)
                    }
                    offset = end
                }
            }
        }
        if offset < view.count { return .failure(.trailingBytes(view.count - offset)) }
        return .success(message)
    }

    private static func record(_ view: ByteView, at start: Int, section: String) -> Result<(Record, Int), Problem> {
        guard let (name, end) = DNSName.read(view, at: start) else {
            return .failure(.badName(section: section, offset: start))
        }
        guard let type = view.be16(end), let dnsClass = view.be16(end + 2), let ttl = view.be32(end + 4),
            let length = view.be16(end + 8), view.has(end + 10, Int(length))
        else { return .failure(.cut(section: section, offset: end)) }
        let dataStart = end + 10, dataEnd = dataStart + Int(length)
        let rdata = view.dropFirst(dataStart).prefix(Int(length))
        func nameAt(_ offset: Int) -> ([[UInt8]], Int)? {
            // Names inside rdata may point anywhere earlier in the message.
            guard let (labels, after) = DNSName.read(view, at: offset), after <= dataEnd else { return nil }
            return (labels, after)
        }
        var data = RecordData.raw(rdata.bytes)
        switch type {
        case DNSType.a where length == 4, DNSType.aaaa where length == 16:
            data = .address(rdata.bytes)
        case DNSType.ns, DNSType.cname, DNSType.ptr, DNSType.dname:
            if let (labels, _) = nameAt(dataStart) { data = .name(labels) }
        case DNSType.mx:
            if let preference = rdata.be16(0), let (labels, _) = nameAt(dataStart + 2) {
                data = .mailExchange(preference: preference, exchange: labels)
            }
        case DNSType.txt:
            var strings: [[UInt8]] = []
            var index = 0
            var whole = true
            while index < Int(length) {
                let count = Int(rdata.u8(index)!)
                guard rdata.has(index + 1, count) else {
                    whole = false
                    break
                }
                strings.append(rdata.dropFirst(index + 1).prefix(count).bytes)
                index += 1 + count
            }
            if whole { data = .text(strings) }
        case DNSType.srv:
            if let priority = rdata.be16(0), let weight = rdata.be16(2), let port = rdata.be16(4),
                let (target, _) = nameAt(dataStart + 6)
            {
                data = .service(priority: priority, weight: weight, port: port, target: target)
            }
        case DNSType.soa:
            if let (primary, afterPrimary) = nameAt(dataStart), let (mailbox, afterMailbox) = nameAt(afterPrimary),
                afterMailbox + 20 <= dataEnd
            {
                let numbers = (0..<5).map { view.be32(afterMailbox + 4 * $0)! }
                data = .authority(
                    primary: primary, mailbox: mailbox, serial: numbers[0], refresh: numbers[1], retry: numbers[2],
                    expire: numbers[3], minimum: numbers[4])
            }
        default:
            break
        }
        return .success((Record(name: name, type: type, dnsClass: dnsClass, ttl: ttl, data: data), dataEnd))
    }

    /// The message as bytes, names uncompressed (simple, and every reader can follow it).
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        func u16(_ value: UInt16) { out += [UInt8(value >> 8), UInt8(value & 0xFF)] }
        func u32(_ value: UInt32) { u16(UInt16(value >> 16)); u16(UInt16(value & 0xFFFF)) }
        func name(_ labels: [[UInt8]]) {
            for label in labels {
                out.append(UInt8(min(label.count, 63)))
                out += label.prefix(63)
            }
            out.append(0)
        }
        u16(identifier)
        u16(flags)
        for count in [questions.count, answers.count, authorities.count, additionals.count] { u16(UInt16(count)) }
        for question in questions {
            name(question.name)
            u16(question.type)
            u16(question.dnsClass)
        }
        for record in answers + authorities + additionals {
            name(record.name)
            u16(record.type)
            u16(record.dnsClass)
            u32(record.ttl)
            let lengthAt = out.count
            u16(0)
            switch record.data {
            case .address(let bytes), .raw(let bytes): out += bytes
            case .name(let labels): name(labels)
            case .mailExchange(let preference, let exchange):
                u16(preference)
                name(exchange)
            case .text(let strings):
                for string in strings {
                    out.append(UInt8(min(string.count, 255)))
                    out += string.prefix(255)
                }
            case .service(let priority, let weight, let port, let target):
                u16(priority)
                u16(weight)
                u16(port)
                name(target)
            case .authority(let primary, let mailbox, let serial, let refresh, let retry, let expire, let minimum):
                name(primary)
                name(mailbox)
                for number in [serial, refresh, retry, expire, minimum] { u32(number) }
            }
            let length = out.count - lengthAt - 2
            out[lengthAt] = UInt8(length >> 8)
            out[lengthAt + 1] = UInt8(length & 0xFF)
        }
        return out
    }
}

extension DNSMessage.RecordData {
    /// Zone-file style text of the data (`93.184.216.34`, `10 mail.example.com.`, `"text"`).
    public var text: String {
        switch self {
        case .address(let bytes):
            if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
            var buffer = TextBuffer()
            bytes.withUnsafeBytes { buffer.append(ipv6: ByteView($0)) }
            return buffer.string
        case .name(let labels): return DNSName.text(labels)
        case .mailExchange(let preference, let exchange): return "\(preference) \(DNSName.text(exchange))"
        case .text(let strings):
            return strings.map { PayloadText.quote($0, limit: 255) }.joined(separator: " ")
        case .service(let priority, let weight, let port, let target):
            return "\(priority) \(weight) \(port) \(DNSName.text(target))"
        case .authority(let primary, let mailbox, let serial, let refresh, let retry, let expire, let minimum):
            return
                "\(DNSName.text(primary)) \(DNSName.text(mailbox)) \(serial) \(refresh) \(retry) \(expire) \(minimum)"
        case .raw(let bytes):
            return "\\# \(bytes.count)"
                + (bytes.isEmpty
                    ? ""
                    : " "
                        + bytes.map { byte in
                            let digits = String(byte, radix: 16)
                            return digits.count == 1 ? "0" + digits : digits
                        }.joined())
        }
    }
}
