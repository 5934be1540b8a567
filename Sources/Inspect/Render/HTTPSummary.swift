/// HTTP request and response counts (the numbers of tshark's `-z http,tree`).
public enum HTTPSummary {
    public static func render(_ messages: [HTTPConversation.Message], into out: inout TextBuffer) {
        var methods: [String: Int] = [:]
        var statuses: [Int: (reason: String, count: Int)] = [:]
        for message in messages {
            switch message.head.startLine {
            case .request(let method, _): methods[method, default: 0] += 1
            case .response(let status, let reason):
                statuses[status] = (statuses[status]?.reason ?? reason, (statuses[status]?.count ?? 0) + 1)
            }
        }
        let requests = methods.values.reduce(0, +), responses = statuses.values.reduce(0) { $0 + $1.count }
        out.append(string: "HTTP messages: \(requests + responses)\n")
        out.append(string: "  requests: \(requests)\n")
        for (method, count) in methods.sorted(by: { $0.key < $1.key }) {
            out.append(string: "    \(method)  \(count)\n")
        }
        out.append(string: "  responses: \(responses)\n")
        for (status, entry) in statuses.sorted(by: { $0.key < $1.key }) {
            out.append(string: "    \(status) \(entry.reason)  \(entry.count)\n")
        }
    }
}
