/// Something the lenient (sniffing) parser accepted that a strict recipient must or should
/// refuse: the strict parser (servers) stops with an error of the same kind at the same place.
/// A student whose client sends it sees why a real server answers 400.
public struct HTTPWarning: Sendable, Equatable, CustomStringConvertible {
    public var kind: HTTPParseError.Kind
    /// What was accepted and how it was read.
    public var reason: String
    /// Offset of the offending bytes, counted from the start of the stream.
    public var offset: Int
    /// Which message of the stream it belongs to: 0 for the first head the parser reports, 1 for
    /// the next, … (interim 1xx responses count as messages).
    public var message: Int

    public var rule: String { kind.rule }
    public var description: String { "\(reason) (\(rule), at byte \(offset))" }
}

extension HTTPParseError.Kind {
    /// The rule each kind of error breaks (RFC 9112: message syntax; RFC 9110: semantics).
    public var rule: String {
        switch self {
        case .badStartLine, .badMethod, .badTarget, .missingVersion: "RFC 9112 §3"
        case .badVersion: "RFC 9112 §2.3"
        case .badStatus: "RFC 9112 §4"
        case .badFieldName: "RFC 9112 §5"
        case .badFieldValue: "RFC 9110 §5.5"
        case .whitespaceBeforeColon: "RFC 9112 §5.1"
        case .obsoleteLineFolding: "RFC 9112 §5.2"
        case .bareCR, .bareLF, .mixedLineEndings: "RFC 9112 §2.2"
        case .badContentLength, .conflictingContentLength: "RFC 9112 §6.3"
        case .contentLengthWithTransferEncoding: "RFC 9112 §6.1"
        case .badTransferEncoding: "RFC 9112 §6.1"
        case .badChunk: "RFC 9112 §7.1"
        case .startLineTooLong: "RFC 9112 §3"
        case .headersTooLarge, .tooManyFields: "RFC 6585 §5"
        case .bodyTooLarge: "RFC 9110 §15.5.14"
        case .dataAfterClose: "RFC 9112 §9.6"
        }
    }

    /// A short stable name for JSON and tests (`bad_method`, `obs_fold`, …).
    public var name: String {
        switch self {
        case .badStartLine: "bad_start_line"
        case .badVersion: "bad_version"
        case .badMethod: "bad_method"
        case .badTarget: "bad_target"
        case .badStatus: "bad_status"
        case .badFieldName: "bad_field_name"
        case .badFieldValue: "bad_field_value"
        case .whitespaceBeforeColon: "whitespace_before_colon"
        case .obsoleteLineFolding: "obs_fold"
        case .bareCR: "bare_cr"
        case .bareLF: "bare_lf"
        case .mixedLineEndings: "mixed_line_endings"
        case .badContentLength: "bad_content_length"
        case .conflictingContentLength: "conflicting_content_length"
        case .contentLengthWithTransferEncoding: "content_length_with_transfer_encoding"
        case .badTransferEncoding: "bad_transfer_encoding"
        case .badChunk: "bad_chunk"
        case .startLineTooLong: "start_line_too_long"
        case .headersTooLarge: "headers_too_large"
        case .tooManyFields: "too_many_fields"
        case .bodyTooLarge: "body_too_large"
        case .dataAfterClose: "data_after_close"
        case .missingVersion: "missing_version"
        }
    }
}
