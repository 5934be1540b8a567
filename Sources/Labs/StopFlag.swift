import Foundation

/// A flag one thread sets and others poll (a server loop's `until`, a receiver's stop).
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
