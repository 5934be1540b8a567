/// A payload shown in one short quoted string: printable ASCII as it is, the rest escaped
/// (`\n`, `\x00`) or, for timelines, replaced by one placeholder character so columns stay narrow.
public enum PayloadText {
    public static func quote(_ bytes: some Collection<UInt8>, limit: Int = 60, placeholder: Character? = nil) -> String
    {
        var text = "\""
        for byte in bytes.prefix(limit) {
            switch byte {
            case 0x20..<0x7F where byte != 0x22 && byte != 0x5C: text.append(Character(Unicode.Scalar(byte)))
            case _ where placeholder != nil: text.append(placeholder!)
            case 0x0A: text += "\\n"
            case 0x0D: text += "\\r"
            case 0x09: text += "\\t"
            case 0x22: text += "\\\""
            case 0x5C: text += "\\\\"
            default:
                let digits = Array("0123456789abcdef")
                text += "\\x\(digits[Int(byte >> 4)])\(digits[Int(byte & 15)])"
            }
        }
        return text + (bytes.count > limit ? "…\"" : "\"")
    }
}
