/// UDP lines as print-udp.c writes them for ports it has no application decoder for.
extension TcpdumpPrinter {
    private mutating func appendUDPAddresses(
        ip: IPContext, ports: (UInt16, UInt16)?, into out: inout TextBuffer
    ) {
        if ip.headerProtocol == IPProtocol.udp {
            if let ports {
                appendEndpoint(ip.source, port: ports.0, into: &out)
                out.append(" > ")
                appendEndpoint(ip.destination, port: ports.1, into: &out)
            } else {
                appendAddress(ip.source, into: &out)
                out.append(" > ")
                appendAddress(ip.destination, into: &out)
            }
            out.append(": ")
        } else if let ports {
            out.append(ports.0)
            out.append(" > ")
            out.append(ports.1)
            out.append(": ")
        }
    }

    mutating func printUDP(
        _ datagram: ByteView, length: Int, ip: IPContext, fragmented: Bool, into out: inout TextBuffer
    ) throws(Truncated) {
        layer = "udp"
        guard let udp = UDPHeader(datagram) else {
            appendUDPAddresses(ip: ip, ports: nil, into: &out)
            throw Truncated()
        }
        let ports = (udp.sourcePort, udp.destinationPort)
        if length < UDPHeader.length {
            appendUDPAddresses(ip: ip, ports: ports, into: &out)
            out.append("truncated-udp ")
            out.append(length)
            return
        }
        guard var udpLength = udp.length.map(Int.init) else {
            appendUDPAddresses(ip: ip, ports: ports, into: &out)
            throw Truncated()
        }
        // RFC 2675: a jumbogram's UDP length is 0 and the IPv6 length is the real one.
        if udpLength == 0 && length > 65535 { udpLength = length }
        if udpLength < UDPHeader.length {
            appendUDPAddresses(ip: ip, ports: ports, into: &out)
            out.append("truncated-udplength ")
            out.append(udpLength)
            return
        }
        udpLength -= UDPHeader.length
        var payloadLength = length - UDPHeader.length
        if udpLength < payloadLength { payloadLength = udpLength }
        guard datagram.count >= UDPHeader.length else {
            appendUDPAddresses(ip: ip, ports: ports, into: &out)
            throw Truncated()
        }
        appendUDPAddresses(ip: ip, ports: ports, into: &out)
        if verbosity > 0 && !fragmented {
            let checksummed = datagram.prefix(payloadLength + UDPHeader.length)
            let captured = datagram.count >= payloadLength + UDPHeader.length
            if !ip.isIPv6 {
                if verbosity > 1 {
                    let field = try udp.checksum.orTruncated()
                    if field == 0 {
                        out.append("[no cksum] ")
                    } else if captured {
                        appendUDPChecksum(ip: ip, checksummed, field: field, into: &out)
                    }
                }
            } else if captured {
                appendUDPChecksum(ip: ip, checksummed, field: udp.checksum!, into: &out)
            }
        }
        // print-udp.c hands port 53 to the DNS printer before any other port's decoder.
        if udp.sourcePort == 53 || udp.destinationPort == 53 {
            try printDNS(datagram.dropFirst(UDPHeader.length), length: payloadLength, into: &out)
            return
        }
        if udpLength > payloadLength && !fragmented {
            out.append("UDP, bad length ")
            out.append(udpLength)
            out.append(" > ")
            out.append(payloadLength)
        } else {
            out.append("UDP, length ")
            out.append(udpLength)
        }
    }

    private func appendUDPChecksum(ip: IPContext, _ datagram: ByteView, field: UInt16, into out: inout TextBuffer) {
        let sum = ip.transportChecksum(datagram, protocol: IPProtocol.udp)
        if sum != 0 {
            out.append("[bad udp cksum 0x")
            out.append(hex: UInt64(field), minDigits: 4)
            out.append(" -> 0x")
            out.append(hex: UInt64(InternetChecksum.shouldBe(field: field, computed: sum)), minDigits: 4)
            out.append("!] ")
        } else {
            out.append("[udp sum ok] ")
        }
    }
}
