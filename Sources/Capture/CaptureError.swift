/// What can go wrong opening, filtering, reading or writing a capture. Each case carries
/// libpcap's own message, and `description` says what to do about it.
public enum CaptureError: Error, Equatable, CustomStringConvertible {
    case noSuchInterface(String, message: String)
    case permissionDenied(String, message: String)
    case interfaceDown(String)
    case fileNotFound(String)
    case unreadableFile(String, message: String)
    case badFilter(String, message: String)
    case cannotWrite(String, message: String)
    case failed(String)

    public var description: String {
        switch self {
        case .noSuchInterface(let name, let message):
            "no such interface '\(name)' (\(message)); `ip link` lists the interfaces"
        case .permissionDenied(let name, let message):
            "permission denied capturing on '\(name)' (\(message)); run as root or grant CAP_NET_RAW "
                + "(sudo setcap cap_net_raw,cap_net_admin=eip $(which netlab)), or read a file with -r"
        case .interfaceDown(let name):
            "interface '\(name)' is down; bring it up with `ip link set \(name) up`"
        case .fileNotFound(let path):
            "cannot read '\(path)': no such file"
        case .unreadableFile(let path, let message):
            "cannot read '\(path)': \(message)"
        case .badFilter(let filter, let message):
            "bad filter '\(filter)': \(message)"
        case .cannotWrite(let path, let message):
            "cannot write '\(path)': \(message)"
        case .failed(let message):
            message
        }
    }
}

/// A NUL-terminated C character buffer as a `String`.
public func cString(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
