import Foundation
import XCTest

@testable import Sockets

/// The socket layer on loopback: TCP and UDP over IPv4 and IPv6, errors with errno names,
/// and no descriptor left open after any of it.
final class SocketTests: XCTestCase {
    /// Descriptors open in this process (/proc/self/fd).
    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    static var hasIPv6Loopback: Bool { (try? Socket.listen(host: "::1", port: 0)) != nil }

    func testTCPRoundTripOnBothFamilies() throws {
        for host in ["127.0.0.1", "::1"] {
            if host == "::1" && !Self.hasIPv6Loopback { continue }
            let listener = try Socket.listen(host: host, port: 0)
            XCTAssertNotEqual(listener.localPort, 0)
            let client = try Socket.connect(host: host, port: listener.localPort, timeout: 2)
            let (server, peer) = try listener.acceptWithAddress()
            XCTAssertEqual(peer, client.localAddress)
            XCTAssertEqual(server.peerAddress, client.localAddress)
            XCTAssertEqual(peer.host, host)
            try client.sendAll(Array("ping".utf8))
            XCTAssertEqual(try server.receive(), Array("ping".utf8))
            client.shutdown(.write)
            XCTAssertEqual(try server.receive(), [], "a FIN reads as end of stream")
            try server.sendAll(Array("pong".utf8))  // the other direction still works
            XCTAssertEqual(try client.receive(), Array("pong".utf8))
        }
    }

    func testUDPKeepsDatagramBoundaries() throws {
        let receiver = try Socket(.udp, family: .inet)
        try receiver.bind(SocketAddress(numeric: "127.0.0.1", port: 0)!)
        let address = try XCTUnwrap(receiver.localAddress)
        let sender = try Socket(.udp, family: .inet)
        for message in ["one", "two two", "three three three"] { try sender.send(Array(message.utf8), to: address) }
        for message in ["one", "two two", "three three three"] {
            XCTAssertTrue(try receiver.wait(for: .readable, timeout: 2))
            let (bytes, from, truncated) = try receiver.receiveFrom()
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), message)
            XCTAssertEqual(from.port, sender.localAddress?.port)  // unbound: the kernel picked a port at sendto
            XCTAssertFalse(truncated)
        }
        // A datagram larger than the buffer is cut, and recvfrom says so.
        try sender.send([UInt8](repeating: 7, count: 100), to: address)
        XCTAssertTrue(try receiver.wait(for: .readable, timeout: 2))
        let (cut, _, truncated) = try receiver.receiveFrom(limit: 10)
        XCTAssertEqual(cut.count, 10)
        XCTAssertTrue(truncated)
    }

    func testErrorsCarryErrnoNames() throws {
        // A port nobody listens on: bind one, close it, then connect.
        let probe = try Socket.listen(host: "127.0.0.1", port: 0)
        let port = probe.localPort
        probe.close()
        XCTAssertThrowsError(try Socket.connect(host: "127.0.0.1", port: port, timeout: 2)) { error in
            let error = error as! SocketError
            XCTAssertEqual(error.name, "ECONNREFUSED")
            XCTAssertTrue(error.description.contains("connect 127.0.0.1:\(port): ECONNREFUSED"), error.description)
        }
        let taken = try Socket.listen(host: "127.0.0.1", port: 0)
        XCTAssertThrowsError(try Socket.listen(host: "127.0.0.1", port: taken.localPort)) { error in
            XCTAssertEqual((error as! SocketError).name, "EADDRINUSE")
        }
        XCTAssertThrowsError(try Resolver.resolve("no-such-host.invalid", service: "80")) { error in
            let error = error as! SocketError
            XCTAssertTrue(error.operation.hasPrefix("getaddrinfo"))
            XCTAssertNotNil(error.detail)
        }
    }

    func testResolverReturnsNumericAndNamedAddresses() throws {
        let numeric = try Resolver.resolve("127.0.0.1", service: "8080")
        XCTAssertEqual(numeric.map(\.address.description), ["127.0.0.1:8080"])
        XCTAssertEqual(numeric.first?.socketType, .stream)
        XCTAssertEqual(numeric.first?.protocolName, "tcp")
        let any = try Resolver.resolve("127.0.0.1", service: "53", type: nil)
        XCTAssertTrue(Set(any.map(\.socketType)).isSuperset(of: [.stream, .datagram]))
        let localhost = try Resolver.resolve("localhost", service: nil)
        XCTAssertTrue(localhost.contains { $0.address.host == "127.0.0.1" || $0.address.host == "::1" })
        XCTAssertEqual(SocketAddress(numeric: "::1", port: 80)?.description, "[::1]:80")
        XCTAssertEqual(SocketAddress(numeric: "[::1]", port: 80)?.family, .inet6)
        XCTAssertNil(SocketAddress(numeric: "localhost", port: 80))
    }

    /// Opening and closing sockets many ways leaves the descriptor count where it was.
    func testNoDescriptorLeaks() throws {
        let before = Self.openDescriptors()
        for _ in 0..<50 {
            let listener = try Socket.listen(host: "127.0.0.1", port: 0)
            let client = try Socket.connect(host: "127.0.0.1", port: listener.localPort, timeout: 2)
            let server = try listener.accept()
            try client.sendAll([1, 2, 3])
            _ = try server.receive()
            _ = try? Socket.connect(host: "127.0.0.1", port: 1, timeout: 1)  // refused: its socket must close too
            _ = try? Socket.listen(host: "127.0.0.1", port: listener.localPort)  // in use
            let udp = try Socket(.udp, family: .inet6)
            _ = udp
            _ = try Epoll()
        }
        XCTAssertEqual(Self.openDescriptors(), before, "descriptors leaked")
    }
}
