/// ARP lines as tcpdump's print-arp.c writes them.
extension TcpdumpPrinter {
    mutating func printARP(_ bytes: ByteView, length: Int, into out: inout TextBuffer) throws(Truncated) {
        layer = "arp"
        guard let arp = ARPPacket(bytes), arp.addressesCaptured else { throw Truncated() }
        out.append("ARP, ")
        let hardwareLength = arp.hardwareLength, protocolLength = arp.protocolLength
        let isIPv4 = arp.protocolType == EtherType.ipv4 || arp.protocolType == 0x1000
        if !isIPv4 || protocolLength != 4 || hardwareLength == 0 || verbosity > 0 {
            if let name = ARPPacket.hardwareName(arp.hardwareType) {
                out.append(name)
            } else {
                out.append("Unknown Hardware (")
                out.append(arp.hardwareType)
                out.append(")")
            }
            out.append(" (len ")
            out.append(hardwareLength)
            out.append("), ")
            if let name = EtherType.name(arp.protocolType) {
                out.append(name)
            } else {
                out.append("Unknown Protocol (0x")
                out.append(hex: UInt64(arp.protocolType), minDigits: 4)
                out.append(")")
            }
            out.append(" (len ")
            out.append(protocolLength)
            out.append(")")
            if verbosity == 0 {
                out.append(", length ")
                out.append(length)
                return
            }
            out.append(", ")
        }
        let op = arp.operation
        if let name = ARPPacket.operationName(op) {
            out.append(name)
        } else {
            out.append("Unknown (")
            out.append(op)
            out.append(")")
        }
        out.append(" ")
        let view = arp.view
        func protocolAddress(_ offset: Int, _ out: inout TextBuffer) {
            if !isIPv4 {
                out.append("<wrong proto type>")
            } else if protocolLength != 4 {
                out.append("<wrong len>")
            } else {
                out.append(ipv4: view.dropFirst(offset))
            }
        }
        func hardwareAddress(_ offset: Int, _ out: inout TextBuffer) {
            if hardwareLength == 0 {
                out.append("<empty>")  // linkaddr_string of zero bytes
            } else {
                out.append(linkAddress: view.dropFirst(offset).prefix(hardwareLength))
            }
        }
        switch op {
        case 1:
            out.append("who-has ")
            protocolAddress(arp.targetProtocolOffset, &out)
            let target = view.dropFirst(arp.targetHardwareOffset).prefix(hardwareLength)
            if target.bytes.contains(where: { $0 != 0 }) {
                out.append(" (")
                hardwareAddress(arp.targetHardwareOffset, &out)
                out.append(")")
            }
            out.append(" tell ")
            protocolAddress(arp.senderProtocolOffset, &out)
        case 2:
            protocolAddress(arp.senderProtocolOffset, &out)
            out.append(" is-at ")
            hardwareAddress(arp.senderHardwareOffset, &out)
        case 3, 8:
            out.append("who-is ")
            hardwareAddress(arp.targetHardwareOffset, &out)
            out.append(" tell ")
            hardwareAddress(arp.senderHardwareOffset, &out)
        case 4:
            hardwareAddress(arp.targetHardwareOffset, &out)
            out.append(" at ")
            protocolAddress(arp.targetProtocolOffset, &out)
        case 9:
            hardwareAddress(arp.senderHardwareOffset, &out)
            out.append(" at ")
            protocolAddress(arp.senderProtocolOffset, &out)
        default:
            appendHexAndASCII(bytes, into: &out)
            return
        }
        out.append(", length ")
        out.append(length)
    }
}
