#if canImport(Glibc)
    import Glibc
#endif

/// HTTP dates (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), always UTC.
public enum HTTPDate {
    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Formats seconds since 1970 as an IMF-fixdate.
    public static func format(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) "
            + "\(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    static func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Parses the three formats a recipient must accept (IMF-fixdate, RFC 850, asctime);
    /// nil for anything else, which a server then ignores (RFC 9110 §13.1.3).
    public static func parse(_ text: String) -> Int? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" }).map(String.init)
        var day: Int?, month: Int?, year: Int?, clock: [Int]?
        for word in words {
            if word.contains(":") {
                let pieces = word.split(separator: ":").compactMap { Int($0) }
                if pieces.count == 3 { clock = pieces }
            } else if let index = months.firstIndex(of: word) {
                month = index
            } else if let number = Int(word) {
                if day == nil && word.count <= 2 {
                    day = number
                } else {
                    year = word.count == 2 ? (number < 70 ? 2000 + number : 1900 + number) : number
                }
            }
        }
        guard let day, let month, let year, let clock, (1...31).contains(day), (0..<24).contains(clock[0]),
            (0..<60).contains(clock[1]), (0...60).contains(clock[2]), (1970...9999).contains(year)
        else { return nil }
        var parts = tm()
        parts.tm_mday = Int32(day)
        parts.tm_mon = Int32(month)
        parts.tm_year = Int32(year - 1900)
        parts.tm_hour = Int32(clock[0])
        parts.tm_min = Int32(clock[1])
        parts.tm_sec = Int32(clock[2])
        return Int(timegm(&parts))
    }

    /// The current time as an IMF-fixdate, formatted once per second.
    public struct Cache {
        private var second = -1
        private var text = ""
        public init() {}
        public mutating func now() -> String {
            let current = Int(time(nil))
            if current != second {
                second = current
                text = HTTPDate.format(current)
            }
            return text
        }
    }
}
