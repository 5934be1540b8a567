import ArgumentParser
import Capture

/// sysexits(3)-style exit codes, so scripts can tell failures apart.
enum ExitCodes {
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let unavailable: Int32 = 69
    static let software: Int32 = 70
    static let cannotCreate: Int32 = 73
    static let ioError: Int32 = 74
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
}

/// Prints one clear line on stderr and exits with the error's code (no stack trace).
func fail(_ error: CaptureError) -> ExitCode {
    Console.error("netlab: \(error)")
    return ExitCode(ExitCodes.code(for: error))
}
