/// Connection states of one TCP endpoint, named as in RFC 9293 §3.3.2.
public enum TCPState: String, Sendable, CaseIterable {
    case listen = "LISTEN"
    case synSent = "SYN-SENT"
    case synReceived = "SYN-RECEIVED"
    case established = "ESTABLISHED"
    case finWait1 = "FIN-WAIT-1"
    case finWait2 = "FIN-WAIT-2"
    case closeWait = "CLOSE-WAIT"
    case closing = "CLOSING"
    case lastAck = "LAST-ACK"
    case timeWait = "TIME-WAIT"
    case closed = "CLOSED"
}

/// Which side of a connection: the client sent the first SYN (or, when the capture starts
/// mid-connection, the side with the higher port).
public enum TCPRole: String, Sendable {
    case client, server
    public var other: TCPRole { self == .client ? .server : .client }
}

/// One endpoint's state change, caused by a segment it sent or received.
public struct TCPStateChange: Sendable, Equatable {
    public var role: TCPRole
    public var from: TCPState
    public var to: TCPState
}
