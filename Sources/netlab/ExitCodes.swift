import ArgumentParser
import Capture
import Sockets

#if canImport(Glibc)
    import Glibc
#endif

/// sysexits(3)-style exit codes, so scripts can tell failures apart.
enum ExitCodes {
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let noHost: Int32 = 68
    static let unavailable: Int32 = 69
    static let software: Int32 = 70
    static let cannotCreate: Int32 = 73
    static let ioError: Int32 = 74
    static let tempFailure: Int32 = 75
    static let protocolError: Int32 = 76
    static let permission: Int32 = 77

    static func code(for error: CaptureError) -> Int32 {
        switch error {
        case .noSuchInterface, .interfaceDown: unavailable
        case .permissionDenied: permission
        case .fileNotFound: noInput
        case .unreadableFile: dataError
        case .badFilter: usage
        case .cannotWrite: cannotCreate
        case .failed: software
        }
    }

    static func code(for error: SocketError) -> Int32 {
        if error.operation.hasPrefix("getaddrinfo") { return noHost }
        switch error.code {
        case ENOENT, ENOTDIR: return noInput
        case EACCES, EPERM: return permission
        case ETIMEDOUT, EAGAIN: return tempFailure
        case EADDRINUSE, EADDRNOTAVAIL, ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ECONNRESET: return unavailable
        default: return error.detail != nil && error.code == 0 ? usage : ioError
        }
    }
}

/// Prints one clear line on stderr and exits with the error's code (no stack trace).
func failure(_ error: SocketError) -> ExitCode {
    Console.error("netlab: \(error)\(hint(for: error))")
    return ExitCode(ExitCodes.code(for: error))
}

/// A next step for the errors students meet most.
private func hint(for error: SocketError) -> String {
    switch error.code {
    case EADDRINUSE: " — another program uses that port (try --port 0 for a free one, or `ss -ltnp` to see who)"
    case EACCES where error.operation.hasPrefix("bind"): " — ports below 1024 need root"
    case ECONNREFUSED: " — nothing listens on that port"
    default: ""
    }
}

/// Prints one clear line on stderr and exits with the error's code (no stack trace).
func fail(_ error: CaptureError) -> ExitCode {
    Console.error("netlab: \(error)")
    return ExitCode(ExitCodes.code(for: error))
}
