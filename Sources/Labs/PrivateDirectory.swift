import Foundation

/// A new directory only this user can enter (mkdtemp: unpredictable name, mode 0700), for the
/// files a tour, lesson or exercise makes: runs as root and as a student, or two at once, never
/// share one, and nobody can plant a file or link in it beforehand.
public enum PrivateDirectory {
    public static func make(prefix: String) -> String? {
        var template = Array((FileManager.default.temporaryDirectory.path + "/\(prefix)-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { return nil }
        return String(cString: made)
    }
}
