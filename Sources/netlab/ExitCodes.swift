import ArgumentParser
import Capture
import Sockets
import SystemPackage

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
}

/// What a command reports when it fails: one line for stderr (no stack trace) and a sysexits(3)
/// code. Every error a command lets out conforms, and `Netlab.main` prints it; the code comes
/// from the error's type and errno, never from its text.
protocol CommandFailure: Error {
    var message: String { get }
    var exitCode: Int32 { get }
}

/// A failure a command words itself.
struct Failure: CommandFailure {
    var message: String
    var exitCode: Int32
    init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }
}

extension CaptureError: CommandFailure {
    var message: String { description }
    var exitCode: Int32 {
        switch self {
        case .noSuchInterface, .interfaceDown: ExitCodes.unavailable
        case .permissionDenied: ExitCodes.permission
        case .fileNotFound: ExitCodes.noInput
        case .unreadableFile: ExitCodes.dataError
        case .badFilter: ExitCodes.usage
        case .cannotWrite: ExitCodes.cannotCreate
        case .failed: ExitCodes.software
        }
    }
}

extension SocketError: CommandFailure {
    var message: String { description + hint }

    var exitCode: Int32 {
        switch kind {
        case .nameResolution: return ExitCodes.noHost
        case .invalid: return ExitCodes.usage
        case .system: break
        }
        switch errno {
        case .noSuchFileOrDirectory?, .notDirectory?: return ExitCodes.noInput
        case .permissionDenied?, .notPermitted?: return ExitCodes.permission
        case .timedOut?, .resourceTemporarilyUnavailable?: return ExitCodes.tempFailure
        case .addressInUse?, .addressNotAvailable?, .connectionRefused?, .noRouteToHost?, .networkUnreachable?,
            .connectionReset?:
            return ExitCodes.unavailable
        default: return ExitCodes.ioError
        }
    }

    /// A next step for the errors students meet most.
    private var hint: String {
        switch errno {
        case .addressInUse?:
            " — another program uses that port, or (without SO_REUSEADDR) a connection on it is still in TIME-WAIT "
                + "(try --port 0 for a free one; `ss -ltnp` shows who listens, `ss -tan state time-wait` the rest)"
        case .permissionDenied?: " — ports below 1024 need root (or CAP_NET_BIND_SERVICE)"
        case .connectionRefused?: " — nothing listens on that port"
        default: ""
        }
    }
}

/// Prints the failure's line on stderr and gives its exit code, for commands that catch an error
/// to add context before exiting.
func failure(_ error: some CommandFailure) -> ExitCode {
    Console.error("netlab: \(error.message)")
    return ExitCode(error.exitCode)
}
